"""Bearer tokens: who is asking, as which member, and how often.

A request with a usable token runs as the token's member: `request.user`
and `request.membership` are set exactly as a signed-in web request has
them, so every endpoint reaches client data through the same permission
functions as the web.

The rate limit is a one-minute window kept on the token row itself, so it
holds across every server process without a cache server; two requests
racing at the edge of the window can let one extra through, which is fine
for a limit meant to stop a runaway script.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from ninja.security import HttpBearer

from .errors import ApiError
from .models import ApiToken, digest

# last_used is written at most this often, so a busy script does not turn
# every read into a write of the same row.
LAST_USED_EVERY = timedelta(seconds=60)


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        now = timezone.now()
        t = (ApiToken.objects.select_related("membership__practice", "membership__user")
             .filter(digest=digest(token.strip())).first())
        if t is None or not t.membership.user.is_active:
            return None
        if t.revoked is not None:
            raise ApiError(401, "token_revoked", "This token was revoked. Make a new one on your settings page.",
                           "Authorization")
        if t.expires is not None and t.expires <= now:
            raise ApiError(401, "token_expired", "This token has expired. Make a new one on your settings page.",
                           "Authorization")
        _count(t, now)
        request.user = t.membership.user
        request.membership = t.membership
        request.api_token = t
        return t


def _count(t: ApiToken, now) -> None:
    limit = settings.API_RATE_LIMIT
    window = now.replace(second=0, microsecond=0)
    if t.window == window:
        if t.window_count >= limit:
            wait = 60 - now.second
            raise ApiError(429, "rate_limited", f"This token has made {limit} requests this minute, its limit. "
                           f"Try again in {wait} seconds.", headers={"Retry-After": str(wait)})
        ApiToken.objects.filter(pk=t.pk, window=window).update(window_count=F("window_count") + 1)
    else:
        ApiToken.objects.filter(pk=t.pk).update(window=window, window_count=1)
    if t.last_used is None or now - t.last_used >= LAST_USED_EVERY:
        ApiToken.objects.filter(pk=t.pk).update(last_used=now)
