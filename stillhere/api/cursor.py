"""Opaque, signed cursors for keyset pagination: a page is asked for as
"after this row", so rows written between two pages are neither skipped
nor shown twice, and a cursor cannot be edited into another's rows (it is
signed; the permission filter applies to every page anyway)."""

from django.core import signing

from .errors import ApiError

_signer = signing.Signer(salt="stillhere.api.cursor")
MAX_LIMIT = 200


def encode(*values) -> str:
    return _signer.sign_object(list(values), compress=True)


def decode(cursor: str | None, n: int) -> list | None:
    if not cursor:
        return None
    try:
        values = _signer.unsign_object(cursor)
    except (signing.BadSignature, ValueError, TypeError):
        raise ApiError(422, "invalid", "This cursor is not one the API gave out; start again without it.", "cursor")
    if not isinstance(values, list) or len(values) != n:
        raise ApiError(422, "invalid", "This cursor belongs to another list; start again without it.", "cursor")
    return values
