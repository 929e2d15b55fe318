"""Kept so old migrations and imports still resolve: the field and key
handling now live in stillhere/lib/crypto.py, shared by every model."""

from stillhere.lib.crypto import (  # noqa: F401
    PREFIX, DecryptionError, EncryptedTextField, decrypt, derived_key, encrypt, keys, rotate,
)
