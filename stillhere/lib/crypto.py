"""Encryption at rest for client data, with keys that can rotate, and blind
indexes for the few values the app must still find by equality.

Keys come from settings.FIELD_ENCRYPTION_KEYS (the FIELD_ENCRYPTION_KEYS
environment variable: Fernet keys, comma-separated, newest first). Every
key can decrypt; only the first encrypts. To rotate: put a new key first,
keep the old ones after it, run `stillhere rotatekeys`, then drop the old
ones. Without any configured key, one is derived from SECRET_KEY, so a solo
therapist's laptop encrypts too with nothing to set up.

Ciphertext is random (a fresh IV each time), so an encrypted column cannot
be filtered on. Where the app must match a value (an inbound text's number
against the client it was sent to), a *blind index* column holds a keyed
HMAC of the normalised value: equal values give equal digests, and without
the key the digest says nothing. Its key is settings.BLIND_INDEX_KEY (the
BLIND_INDEX_KEY environment variable), else one derived from SECRET_KEY;
it does not change when the Fernet keys rotate, and `rotatekeys` rebuilds
every index, so changing it is: set the new key, run `rotatekeys`.

Names are found by word prefixes, which one digest column cannot hold: their
digests live in a table of their own (stillhere/clients/name_index.py), made
with the same key and `blind_index()` (kinds "name" and "record-folded").

Filtering an encrypted column on a value, or sorting by one, would compare
random ciphertext: it finds nothing and orders nothing. So a lookup on an
encrypted field other than "is empty" is refused with an error saying which
field, instead of quietly finding nobody. A field with a blind index that is
an exact digest (the client's record number: `matched_by="external_id_index"`)
answers `=` and `IN` through that index instead, so `external_id="c-01"` and
`client__external_id__in=[…]` still mean what they say.

The fields here are used by every model that holds client words: see
`encrypted_columns()` for the list `rotatekeys` and the tests walk.
"""

import base64
import hashlib
import hmac
import json
import re
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import models

PREFIX = "fernet:"  # marks a stored value as ciphertext
BPREFIX = PREFIX.encode()


class DecryptionError(Exception):
    pass


@lru_cache(maxsize=4)  # HKDF on every value read was most of the cost of a decrypt
def derived_key(secret: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"stillhere-field-encryption", info=b"fernet-v1")
    return base64.urlsafe_b64encode(hkdf.derive(secret.encode()))


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k) for k in keys])


def keys() -> tuple[str, ...]:
    configured = tuple(k.strip() for k in getattr(settings, "FIELD_ENCRYPTION_KEYS", ()) if k.strip())
    return configured or (derived_key(settings.SECRET_KEY).decode(),)


def encrypt(text: str) -> str:
    if not text:
        return ""
    return PREFIX + _fernet(keys()).encrypt(text.encode()).decode()


def decrypt(value: str) -> str:
    if not value:
        return ""
    if not value.startswith(PREFIX):
        raise DecryptionError("A stored value is not encrypted; refusing to show it as if it were.")
    try:
        return _fernet(keys()).decrypt(value[len(PREFIX):].encode()).decode()
    except InvalidToken:
        raise DecryptionError("No configured key opens this text (was a key removed before rotating?).")


def decrypt_many(values) -> list[str]:
    """decrypt() of each value, with the keys looked up once rather than per
    value (a tenth of the cost of opening a scan's 60,000 record numbers)."""
    fernet, n = _fernet(keys()), len(PREFIX)
    out = []
    for value in values:
        if not value:
            out.append("")
            continue
        if not value.startswith(PREFIX):
            raise DecryptionError("A stored value is not encrypted; refusing to show it as if it were.")
        try:
            out.append(fernet.decrypt(value[n:].encode()).decode())
        except InvalidToken:
            raise DecryptionError("No configured key opens this text (was a key removed before rotating?).")
    return out


def rotate(value):
    """The same text (or bytes) re-encrypted under the newest key; empty and
    NULL stay as they are, and a value not yet encrypted is encrypted."""
    if not value:
        return value
    try:
        if isinstance(value, (bytes, memoryview)):
            raw = bytes(value)
            if not raw.startswith(BPREFIX):
                return encrypt_bytes(raw)
            return BPREFIX + _fernet(keys()).rotate(raw[len(BPREFIX):])
        if not value.startswith(PREFIX):
            return encrypt(value)
        return PREFIX + _fernet(keys()).rotate(value[len(PREFIX):].encode()).decode()
    except InvalidToken:
        raise DecryptionError("No configured key opens a stored value; put back the key it was written "
                              "with (after the new one) and run this again. Nothing was changed.")


def encrypt_bytes(data: bytes) -> bytes:
    if not data:
        return b""
    return BPREFIX + _fernet(keys()).encrypt(bytes(data))


def decrypt_bytes(data) -> bytes:
    data = bytes(data or b"")
    if not data:
        return b""
    if not data.startswith(BPREFIX):
        raise DecryptionError("A stored file is not encrypted; refusing to show it as if it were.")
    try:
        return _fernet(keys()).decrypt(data[len(BPREFIX):])
    except InvalidToken:
        raise DecryptionError("No configured key opens this file (was a key removed before rotating?).")


# --- blind indexes --------------------------------------------------------

@lru_cache(maxsize=4)
def _index_key(secret: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"stillhere-blind-index",
                info=b"hmac-v1").derive(secret.encode())


def index_key() -> bytes:
    return _index_key(getattr(settings, "BLIND_INDEX_KEY", "") or settings.SECRET_KEY)


def normalise_phone(value: str) -> str:
    """Digits only, with a leading + kept: "+44 7700 900-123" -> "+447700900123"."""
    value = (value or "").strip()
    digits = re.sub(r"\D", "", value)
    return ("+" + digits) if value.startswith("+") and digits else digits


def normalise_email(value: str) -> str:
    return (value or "").strip().lower()


def normalise_record(value: str) -> str:
    """A record number exactly as stored: the practice's own system tells
    "ab-1" from "AB-1", and so did the unique constraint it replaces."""
    return value or ""


def normalise_folded(value: str) -> str:
    """A value its caller has already folded (a name word, a record number
    lower-cased for search): only surrounding spaces go."""
    return (value or "").strip()


NORMALISERS = {"phone": normalise_phone, "email": normalise_email, "record": normalise_record,
               "name": normalise_folded, "record-folded": normalise_folded}


def blind_index(kind: str, value: str) -> str:
    """Keyed digest of the normalised value; empty for an empty value."""
    norm = NORMALISERS[kind](value)
    if not norm:
        return ""
    return hmac.new(index_key(), f"{kind}:{norm}".encode(), hashlib.sha256).hexdigest()[:32]


def blind_indexes(kind: str, values) -> list[str]:
    """blind_index(kind, v) for many values (a name's prefixes): the keyed
    HMAC is set up once and copied, a third of the cost of one each."""
    base = hmac.new(index_key(), digestmod=hashlib.sha256)
    out = []
    normalise = NORMALISERS[kind]
    for value in values:
        norm = normalise(value)
        if not norm:
            out.append("")
            continue
        h = base.copy()
        h.update(f"{kind}:{norm}".encode())
        out.append(h.hexdigest()[:32])
    return out


# --- fields ---------------------------------------------------------------

class EncryptedLookupError(TypeError):
    pass


def _is_empty(value) -> bool:
    if isinstance(value, (list, tuple, set, frozenset)):
        return all(_is_empty(v) for v in value)
    return value is None or value == "" or value == b""


@lru_cache(maxsize=None)
def _refusing(lookup_class):
    """`lookup_class` that accepts only empty values: ciphertext is random,
    so `name="Ana"` or `name__icontains="an"` would compare it with nothing."""

    class Refusing(lookup_class):
        def get_prep_lookup(self):
            if not _is_empty(self.rhs) or self.lookup_name not in ("exact", "in"):
                field = getattr(self.lhs, "target", None) or getattr(self.lhs, "output_field", None)
                where = f"{field.model.__name__}.{field.name}" if getattr(field, "model", None) else "this field"
                raise EncryptedLookupError(
                    f"{where} is encrypted at rest, so the database cannot compare it "
                    f"('{self.lookup_name}'); match its blind index or the name index instead.")
            return super().get_prep_lookup()

    Refusing.__name__ = f"Refusing{lookup_class.__name__}"
    return Refusing


@lru_cache(maxsize=None)
def _through_index(lookup_class):
    """`lookup_class` (exact, in) answered by the field's blind index: the
    column compared is the index, the values compared are their digests."""

    class ThroughIndex(lookup_class):
        def __init__(self, lhs, rhs):
            from django.db.models.expressions import Col

            field = getattr(lhs, "target", None)
            if not isinstance(lhs, Col) or not isinstance(rhs, (str, list, tuple, set, frozenset)):
                raise EncryptedLookupError(
                    "An encrypted field can be matched only against plain values (its blind index's digests).")
            index = field.model._meta.get_field(field.matched_by)
            digest = (lambda v: blind_index(index.kind, str(v)))
            rhs = digest(rhs) if isinstance(rhs, str) else [digest(v) for v in rhs]
            super().__init__(index.get_col(lhs.alias), rhs)

    ThroughIndex.__name__ = f"ThroughIndex{lookup_class.__name__}"
    return ThroughIndex


class _Unfilterable:
    """Lookups on an encrypted field: only "is empty" (exact "" or NULL)
    passes, unless the field names a blind index that answers equality
    (`matched_by`): then `exact` and `in` compare digests on that index."""

    matched_by = ""

    def __init__(self, *args, matched_by: str = "", **kwargs):
        self.matched_by = matched_by
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.matched_by:
            kwargs["matched_by"] = self.matched_by
        return name, path, args, kwargs

    def get_lookup(self, lookup_name):
        found = super().get_lookup(lookup_name)
        if found is None or lookup_name == "isnull":
            return found
        if self.matched_by and lookup_name in ("exact", "in"):
            return _through_index(found)
        return _refusing(found)


class EncryptedTextField(_Unfilterable, models.TextField):
    """A TextField stored as Fernet ciphertext; Python code sees plain text."""

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value) if value else value


class EncryptedCharField(_Unfilterable, models.CharField):
    """A short value (an email, a phone number) stored as ciphertext.

    The length limit applies to what the person typed; the column is text,
    since ciphertext is several times longer. Forms still show one line."""

    def get_internal_type(self):
        return "TextField"

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value) if value else value


class EncryptedJSONField(_Unfilterable, models.TextField):
    """JSON (an import report) stored as ciphertext of its JSON text; NULL stays NULL."""

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return json.loads(decrypt(value))

    def to_python(self, value):
        return value

    def get_prep_value(self, value):
        if value is None:
            return None
        return encrypt(json.dumps(value, default=str))

    def value_to_string(self, obj):
        return json.dumps(self.value_from_object(obj), default=str)


class EncryptedBinaryField(models.BinaryField):
    """Bytes (a printed letter's PDF) stored as Fernet ciphertext."""

    def from_db_value(self, value, expression, connection):
        return decrypt_bytes(value) if value else value

    def get_db_prep_value(self, value, connection, prepared=False):
        if value:
            value = encrypt_bytes(bytes(value))
        return super().get_db_prep_value(value, connection, prepared)


class BlindIndexField(models.CharField):
    """The keyed digest of another field's normalised value, kept in step on
    save() and bulk_create() (pre_save). Code that changes the source with
    bulk_update() or update() must call `refresh_blind_indexes(obj)` and
    include the index column, as the importer does."""

    def __init__(self, *args, source: str = "", kind: str = "", **kwargs):
        self.source, self.kind = source, kind
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"], kwargs["kind"] = self.source, self.kind
        for k, v in (("max_length", 32), ("blank", True), ("editable", False), ("db_index", True)):
            if kwargs.get(k) == v:
                kwargs.pop(k)
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = blind_index(self.kind, getattr(model_instance, self.source))
        setattr(model_instance, self.attname, value)
        return value


def refresh_blind_indexes(obj) -> list[str]:
    """Recompute obj's blind indexes in memory; the index field names."""
    names = []
    for f in obj._meta.fields:
        if isinstance(f, BlindIndexField):
            setattr(obj, f.attname, blind_index(f.kind, getattr(obj, f.source)))
            names.append(f.name)
    return names


ENCRYPTED = (EncryptedTextField, EncryptedCharField, EncryptedJSONField, EncryptedBinaryField)


def encrypted_columns():
    """(model, [encrypted fields], [blind index fields]) for every installed model that has any."""
    from django.apps import apps

    out = []
    for model in apps.get_models():
        enc = [f for f in model._meta.concrete_fields if isinstance(f, ENCRYPTED)]
        idx = [f for f in model._meta.concrete_fields if isinstance(f, BlindIndexField)]
        if enc or idx:
            out.append((model, enc, idx))
    return out


# --- migrations -----------------------------------------------------------

def migrate_columns(table: str, columns: list[str], *, forward: bool, indexes: dict | None = None,
                    binary: tuple[str, ...] = ()):
    """A RunPython body that encrypts (forward) or decrypts (back) columns of
    `table` in place with raw SQL, leaving values already in the wanted form
    alone, and fills blind index columns {index column: (kind, source column)}.
    Raw SQL, not historical models, so it does not depend on field classes."""
    indexes = indexes or {}

    def run(apps, schema_editor):
        conn = schema_editor.connection
        q = conn.ops.quote_name
        cols = list(columns)
        with conn.cursor() as cur:
            cur.execute(f"SELECT id, {', '.join(map(q, cols))} FROM {q(table)}")
            rows = cur.fetchall()
            for pk, *values in rows:
                new = []
                plain = {}
                for col, v in zip(cols, values):
                    if col in binary:
                        raw = bytes(v) if v is not None else None
                        if forward:
                            out = encrypt_bytes(raw) if raw and not raw.startswith(BPREFIX) else raw
                        else:
                            out = decrypt_bytes(raw) if raw and raw.startswith(BPREFIX) else raw
                    elif forward:
                        out = encrypt(v) if v and not v.startswith(PREFIX) else v
                        plain[col] = decrypt(out) if out else (out or "")
                    else:
                        out = decrypt(v) if v and v.startswith(PREFIX) else v
                    new.append(out)
                sets = [f"{q(c)} = %s" for c in cols]
                params = list(new)
                if forward:
                    for idx_col, (kind, src) in indexes.items():
                        sets.append(f"{q(idx_col)} = %s")
                        params.append(blind_index(kind, plain.get(src, "")))
                cur.execute(f"UPDATE {q(table)} SET {', '.join(sets)} WHERE id = %s", params + [pk])

    return run
