"""The audit trail's hash chain: each event sealed to the one before it.

Every AuditEvent stores `hash` = HMAC-SHA256 over its own content and the
previous event's hash. The key is derived (HKDF) from the practice
installation's encryption keys (settings.FIELD_ENCRYPTION_KEYS, or the key
derived from SECRET_KEY; see stillhere/lib/crypto.py), so nobody who
can only edit the database can forge a row. Each row records which key
sealed it (`key_id`), so after a key rotation the old rows still verify as
long as the old key is configured.

Writers take a lock before reading the chain's end, so two processes writing
at once never fork it: a transaction-scoped advisory lock on PostgreSQL, and
SQLite's database write lock (taken by writing the chain head first).
"""

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import timezone as dt_timezone
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.db import connections, transaction
from django.utils import timezone

from stillhere.lib.crypto import keys as fernet_keys

LOCK_ID = 7_301_172_017  # pg_advisory_xact_lock key for the audit chain
VERSION = 1


@lru_cache(maxsize=8)
def _derive(fernet_key: str) -> tuple[str, bytes]:
    raw = base64.urlsafe_b64decode(fernet_key.encode())
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"stillhere-audit-chain", info=b"hmac-v1").derive(raw)
    return hashlib.sha256(b"key-id:" + key).hexdigest()[:16], key


def signing_key() -> tuple[str, bytes]:
    """(key id, key) that seals new events: derived from the newest key."""
    return _derive(fernet_keys()[0])


def all_keys() -> dict[str, bytes]:
    """Every configured key by id: old rows verify under the key that sealed them."""
    return dict(_derive(k) for k in fernet_keys())


def pseudonym(client_id, key: bytes) -> str:
    """A keyed stand-in for a client id: the same client, the same reference, no name."""
    if client_id is None:
        return ""
    return "c-" + hmac.new(key, f"client:{client_id}".encode(), hashlib.sha256).hexdigest()[:24]


def _stamp(created) -> str:
    return created.astimezone(dt_timezone.utc).isoformat(timespec="microseconds")


def seal(key: bytes, *, prev_hash, key_id, practice_id, actor_id, verb, client_id, client_ref,
         target_type, target_id, data, created) -> str:
    body = json.dumps([VERSION, prev_hash, key_id, practice_id, actor_id, verb, client_id, client_ref,
                       target_type, target_id, data, _stamp(created)],
                      sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()


def seal_row(row, key: bytes) -> str:
    return seal(key, prev_hash=row.prev_hash, key_id=row.key_id, practice_id=row.practice_id,
                actor_id=row.actor_id, verb=row.verb, client_id=row.client_id, client_ref=row.client_ref,
                target_type=row.target_type, target_id=row.target_id, data=row.data, created=row.created)


def lock(using: str = "default") -> None:
    """Hold the chain for this transaction: no other writer can append until it ends."""
    from stillhere.audit.models import AuditChainHead

    conn = connections[using]
    if conn.vendor == "postgresql":
        with conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_ID])
    else:
        # Any write takes SQLite's single write lock, held until commit; the
        # insert is a no-op when the head row exists.
        AuditChainHead.objects.using(using).bulk_create([AuditChainHead(pk=1)], ignore_conflicts=True)


def append(event, using: str = "default") -> None:
    """Seal `event` to the end of the chain and insert it, under the chain's lock."""
    append_many([event], using=using)


def append_many(events, using: str = "default") -> None:
    """Seal several events to the end of the chain, in order, under one lock.

    The chain is read once, the rows inserted in one statement and the head
    moved once: the tick writes an audit row per message it sends, and a
    page that audits two accesses would otherwise pay a lock, a read and two
    writes for each. On PostgreSQL the rows and the head are written by one
    statement: every page a person opens audits it, so each round trip to
    the database counts under load."""
    if not events:
        return
    with transaction.atomic(using=using):
        lock(using)
        from stillhere.audit.models import AuditEvent

        last = AuditEvent.objects.using(using).order_by("-seq").values("seq", "hash").first()
        key_id, key = signing_key()
        seq, prev = (last["seq"], last["hash"]) if last else (0, "")
        for event in events:
            if event.created is None:
                event.created = timezone.now()
            # What the database will hand back: JSON round-tripped.
            event.data = json.loads(json.dumps(event.data or {}))
            seq += 1
            event.seq, event.prev_hash, event.key_id = seq, prev, key_id
            event.client_ref = pseudonym(event.client_id, key)
            event.hash = prev = seal_row(event, key)
        _insert(events, seq, prev, using)


def _insert(events, seq: int, hash_: str, using: str) -> None:
    """Insert the sealed `events` and move the chain head to (seq, hash_)."""
    from django.db.models import QuerySet

    from stillhere.audit.models import AuditChainHead, AuditEvent

    conn = connections[using]
    if conn.vendor != "postgresql":
        # The model's own manager refuses bulk inserts (a row must be chained);
        # these are, so the plain QuerySet's insert is used.
        QuerySet.bulk_create(AuditEvent.objects.using(using).all(), events, batch_size=500)
        AuditChainHead.objects.using(using).bulk_create(
            [AuditChainHead(pk=1, seq=seq, hash=hash_)],
            update_conflicts=True, unique_fields=["id"], update_fields=["seq", "hash"])
        return
    meta = AuditEvent._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    head = AuditChainHead._meta.db_table
    for start in range(0, len(events), 500):
        chunk = events[start:start + 500]
        moves_head = start + 500 >= len(events)
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        params = [f.get_db_prep_save(getattr(e, f.attname), conn) for e in chunk for f in fields]
        insert = (f'INSERT INTO {meta.db_table} ({", ".join(conn.ops.quote_name(f.column) for f in fields)}) '
                  f'VALUES {", ".join([row] * len(chunk))} RETURNING id')
        if moves_head:
            sql = (f"WITH ev AS ({insert}) INSERT INTO {head} (id, seq, hash) VALUES (1, %s, %s) "
                   "ON CONFLICT (id) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash "
                   "RETURNING (SELECT array_agg(id ORDER BY id) FROM ev)")
            params += [seq, hash_]
        else:
            sql = f"WITH ev AS ({insert}) SELECT array_agg(id ORDER BY id) FROM ev"
        with conn.cursor() as cur:
            cur.execute(sql, params)
            ids = cur.fetchone()[0]
        for e, pk in zip(chunk, ids):
            e.pk = pk
            e._state.adding, e._state.db = False, using


@dataclass
class Report:
    checked: int = 0
    first: int | None = None
    last: int | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _describe(row) -> str:
    return f"event {row.seq} ({row.verb}, recorded {row.created:%d %B %Y at %H:%M} UTC)"


def verify(using: str = "default", chunk: int = 2000) -> Report:
    """Walk the chain in order and say, in words, every row that does not fit."""
    from stillhere.audit.models import AuditChainHead, AuditEvent

    report = Report()
    keyring = all_keys()
    rows = AuditEvent.objects.using(using).order_by("seq", "id")
    prev = None
    unknown_keys = 0
    for row in rows.iterator(chunk_size=chunk):
        report.checked += 1
        if row.seq is None:
            report.problems.append(f"An event (row {row.pk}, {row.verb}) has no place in the chain: "
                                   "it was written around the application.")
            continue
        report.first = row.seq if report.first is None else report.first
        report.last = row.seq
        key = keyring.get(row.key_id)
        if key is None:
            unknown_keys += 1
        elif not hmac.compare_digest(seal_row(row, key), row.hash):
            report.problems.append(f"{_describe(row).capitalize()} was changed after it was written.")
        expected = prev.hash if prev is not None else ""
        if row.prev_hash != expected:
            before = AuditEvent.objects.using(using).filter(hash=row.prev_hash).exclude(pk=row.pk).first() \
                if row.prev_hash else None
            if before is not None:
                report.problems.append(f"Event {row.seq} is out of order: it was written right after "
                                       f"event {before.seq}, not after "
                                       f"{'the start of the trail' if prev is None else f'event {prev.seq}'}.")
            elif prev is None:
                report.problems.append(f"The start of the trail is missing: event {row.seq} follows an event "
                                       "that is no longer there.")
            elif row.seq - prev.seq > 1:
                n = row.seq - prev.seq - 1
                report.problems.append(f"{n} event{'s' if n > 1 else ''} between event {prev.seq} and "
                                       f"event {row.seq} {'were' if n > 1 else 'was'} deleted.")
            else:
                report.problems.append(f"Event {row.seq} does not follow event {prev.seq}: an event between "
                                       "them was removed or replaced.")
        elif prev is not None and row.seq != prev.seq + 1:
            report.problems.append(f"Event {row.seq} is numbered out of sequence (it follows event {prev.seq}).")
        prev = row
    if unknown_keys:
        report.problems.append(f"{unknown_keys} event{'s were' if unknown_keys > 1 else ' was'} sealed with a key "
                               "that is no longer configured, so cannot be checked (was an old key removed?).")
    head = AuditChainHead.objects.using(using).filter(pk=1).first()
    if head is not None and head.seq:
        if prev is None or head.seq > (prev.seq or 0):
            n = head.seq - (prev.seq or 0 if prev is not None else 0)
            report.problems.append(f"The newest {n} event{'s' if n > 1 else ''} (up to event {head.seq}) "
                                   f"{'were' if n > 1 else 'was'} deleted.")
        elif head.seq == prev.seq and head.hash != prev.hash:
            report.problems.append(f"The newest event ({prev.seq}) is not the one that was written last.")
    return report
