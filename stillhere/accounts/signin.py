"""Sign-in throttling (django-axes) and the audit rows of signing in.

After AXES_FAILURE_LIMIT wrong passwords for one sign-in name from one
address, that pair is refused for AXES_COOLOFF_TIME, even with the right
password; the sign-in page says so in words. An admin lifts it sooner in the
admin's "Access attempts" (delete the row) or with `stillhere axes_reset`.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.shortcuts import render

from axes.backends import AxesStandaloneBackend


class ThrottleBackend(AxesStandaloneBackend):
    """Axes' check, for every sign-in that comes with a request.

    Sign-ins made without one (Django's test client `login()`, scripts) are
    not web requests, so there is nothing to throttle: axes would refuse
    them outright; here they pass on to the password check."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def attempted_username(request, credentials) -> str:
    """Sign-in names are matched without regard to case, so "Dora" and
    "dora" count against the same lockout."""
    name = (credentials or {}).get(settings.AXES_USERNAME_FORM_FIELD) or request.POST.get("username", "")
    return str(name).strip().lower()


def client_address(request) -> str:
    """The visitor's address. Behind the HTTPS proxy of deploy/ (the only
    setup with SECURE_PROXY_SSL_HEADER) gunicorn sees only 127.0.0.1, and the
    proxy appends the real address to X-Forwarded-For: take its last entry,
    the one the proxy wrote (earlier entries are the visitor's to forge)."""
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded.strip():
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def cooloff_minutes() -> int:
    return max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))


def lockout_response(request, original_response=None, credentials=None):
    """The sign-in page again, saying in words why it refuses (HTTP 429)."""
    from stillhere.accounts.passwords import SignInForm

    username = attempted_username(request, credentials)
    _record_for(username, lambda p, u: _events().SignInLockedOut(practice=p, actor=None, user_id=u.pk))
    form = SignInForm(request, initial={"username": username})
    return render(request, "registration/login.html", {
        "form": form, "locked_out": True, "cooloff_minutes": cooloff_minutes(),
        "failure_limit": settings.AXES_FAILURE_LIMIT, "next": request.POST.get("next", ""),
    }, status=429)


def _events():
    from stillhere.audit import events

    return events


def _record_for(username, make_event):
    """One audit row per practice the named account belongs to; nothing for a
    name no account has (the trail belongs to a practice)."""
    if not username:
        return
    user = get_user_model().objects.filter(username__iexact=username).first()
    if user is None:
        return
    for m in user.memberships.select_related("practice"):
        _events().record(make_event(m.practice, user))


def _signed_in(sender, request, user, **kwargs):
    for m in user.memberships.select_related("practice"):
        _events().record(_events().SignedIn(practice=m.practice, actor=user))


def _sign_in_failed(sender, credentials, request=None, **kwargs):
    if request is None or getattr(request, "axes_locked_out", False):
        return
    username = attempted_username(request, credentials)
    _record_for(username, lambda p, u: _events().SignInFailed(practice=p, actor=None, user_id=u.pk))


def _signed_out(sender, request, user, **kwargs):
    if user is None:
        return
    for m in user.memberships.select_related("practice"):
        _events().record(_events().SignedOut(practice=m.practice, actor=user))


def connect() -> None:
    user_logged_in.connect(_signed_in, dispatch_uid="stillhere-signed-in")
    user_login_failed.connect(_sign_in_failed, dispatch_uid="stillhere-sign-in-failed")
    user_logged_out.connect(_signed_out, dispatch_uid="stillhere-signed-out")
