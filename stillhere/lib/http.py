"""The one place stillhere makes outbound HTTP requests.

Plain urllib, no vendor SDKs: every provider call goes through `request`, so
tests can patch it in one place (or point it at a server on loopback) and
timeouts are the same everywhere. Responses with any status are returned;
only a failure to talk to the server raises HttpError.
"""

import base64
import json as jsonlib
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

DEFAULT_TIMEOUT = 10
MAX_RESPONSE_BYTES = 1_000_000


class HttpError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Response:
    status_code: int
    content: bytes
    headers: dict = field(default_factory=dict)

    def json(self):
        return jsonlib.loads(self.content or b"null")


def request(method: str, url: str, *, data: dict | None = None, json=None, headers: dict | None = None,
            auth: tuple[str, str] | None = None, timeout: float = DEFAULT_TIMEOUT,
            content: bytes | None = None) -> Response:
    """Send one request; `data` is form-encoded, `json` is sent as JSON,
    `content` as the exact bytes given (a signed webhook body)."""
    hdrs = {"User-Agent": "stillhere"} | dict(headers or {})
    body = None
    if data is not None:
        body = urllib.parse.urlencode(data).encode()
        hdrs.setdefault("Content-Type", "application/x-www-form-urlencoded")
    elif content is not None:
        body = content
    elif json is not None:
        body = jsonlib.dumps(json).encode()
        hdrs.setdefault("Content-Type", "application/json")
    if auth:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        hdrs["Authorization"] = f"Basic {token}"
    req = urllib.request.Request(url, data=body, headers=hdrs, method=method.upper())
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return Response(r.status, r.read(MAX_RESPONSE_BYTES), dict(r.headers))
    except urllib.error.HTTPError as e:
        return Response(e.code, e.read(MAX_RESPONSE_BYTES), dict(e.headers or {}))
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as e:
        reason = getattr(e, "reason", e)
        # The URL may carry an account id; say what failed, not where.
        raise HttpError(f"Could not reach the provider ({type(reason).__name__}: {reason})") from None
