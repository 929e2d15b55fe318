"""Idempotency keys: a creating POST sent again with the same key gets the
first answer back and creates nothing new.

1. No `Idempotency-Key` header: the request runs as usual.
2. The key is new for this token: a row is written, the request runs, and
   its answer is stored, all in one transaction (an error stores nothing, so
   the caller can fix the request and send it again with the same key).
3. The key was used for the same request: the stored answer is returned.
4. The key was used for a different request: refused, so a bug in a
   script cannot silently get someone else's answer.
The unique (token, key) constraint settles two copies racing: the second
waits for the first and then gets its answer, or is told it is running.
"""

import hashlib
import json
from functools import wraps

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.http.request import RawPostDataException
from ninja.responses import Status

from .errors import ApiError
from .models import IdempotentRequest

HEADER = "Idempotency-Key"


def _fingerprint(request) -> str:
    h = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    try:
        h.update(request.body)
    except RawPostDataException:  # multipart, already read: its fields and files instead
        for k, v in sorted(request.POST.lists()):
            h.update(f"{k}={v}\n".encode())
        for k, files in sorted(request.FILES.lists()):
            for f in files:
                f.seek(0)
                h.update(f"{k}:{f.name}:".encode() + hashlib.sha256(f.read()).digest())
                f.seek(0)
    return h.hexdigest()


def _as_json(result) -> tuple[int, object]:
    status, body = (result.status_code, result.value) if isinstance(result, Status) else (200, result)
    if hasattr(body, "model_dump"):
        body = body.model_dump(mode="json")
    return status, json.loads(json.dumps(body, cls=DjangoJSONEncoder))


def idempotent(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        key = request.headers.get(HEADER, "").strip()
        if not key:
            with transaction.atomic():
                return view(request, *args, **kwargs)
        if len(key) > 100:
            raise ApiError(422, "invalid", "The Idempotency-Key header must be at most 100 characters.", HEADER)
        fp = _fingerprint(request)
        with transaction.atomic():
            try:
                with transaction.atomic():
                    row = IdempotentRequest.objects.create(token=request.api_token, key=key, fingerprint=fp)
            except IntegrityError:
                row = IdempotentRequest.objects.get(token=request.api_token, key=key)
                if row.fingerprint != fp:
                    raise ApiError(422, "idempotency_key_reused", "This Idempotency-Key was already used for a "
                                   "different request. Use a new key for a new request.", HEADER)
                if row.status is None:
                    raise ApiError(409, "in_progress", "A request with this Idempotency-Key is still running. "
                                   "Ask again in a moment.", HEADER)
                return Status(row.status, row.response)
            status, body = _as_json(view(request, *args, **kwargs))
            IdempotentRequest.objects.filter(pk=row.pk).update(status=status, response=body)
            return Status(status, body)

    return wrapper
