"""Encryption at rest for free text, with keys that can rotate.

Keys come from settings.FIELD_ENCRYPTION_KEYS (the FIELD_ENCRYPTION_KEYS
environment variable: Fernet keys, comma-separated, newest first). Every
key can decrypt; only the first encrypts. To rotate: put a new key first,
keep the old ones after it, run `stillhere rotatekeys`, then drop the old
ones. Without any configured key, one is derived from SECRET_KEY, so a solo
therapist's laptop encrypts too with nothing to set up.
"""

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import models

PREFIX = "fernet:"  # marks a stored value as ciphertext


class DecryptionError(Exception):
    pass


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


def rotate(value: str) -> str:
    """The same text re-encrypted under the newest key."""
    if not value:
        return value
    return PREFIX + _fernet(keys()).rotate(value[len(PREFIX):].encode()).decode()


class EncryptedTextField(models.TextField):
    """A TextField stored as Fernet ciphertext; Python code sees plain text."""

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value) if value else value
