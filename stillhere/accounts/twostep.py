"""The second step at sign-in: a code from an authenticator app (TOTP), or
one of ten recovery codes, each good once (django-otp).

- Directors and admins must use it (they see the whole practice), and so
  must everyone in a practice that turns on "Require the second step for
  everyone" (Practice.require_two_step). For others it is optional.
- Until a person who must use it has set it up, every page sends them to the
  set-up page; once set up, every session must pass it after the password.
  The check is here in the middleware, so no page can forget it.
"""

from base64 import b32encode

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_POST
from django_otp import login as otp_login, user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from stillhere.audit import events

RECOVERY_CODES = 10
MAX_WRONG_CODES = 5          # per sign-in; then the session ends and the password is asked again
SESSION_CODES = "stillhere_recovery_codes"
SESSION_WRONG = "stillhere_wrong_codes"

# Reachable before the second step: signing in and out, the step itself,
# setting it up, password links, static files and the health check.
OPEN_PREFIXES = ("/login/", "/logout/", "/password/", "/account/two-step/", "/static/", "/healthz")


def has_device(user) -> bool:
    """django_otp's user_has_device in one query instead of one per kind of
    device (every page asks it, for everyone signed in)."""
    from django.db.models import Exists
    from django_otp import device_classes

    if user.is_anonymous:
        return False
    checks = {f"d{i}": Exists(model.objects.devices_for_user(user, confirmed=True))
              for i, model in enumerate(device_classes())}
    from django.contrib.auth import get_user_model

    row = get_user_model().objects.filter(pk=user.pk).annotate(**checks).values_list(*checks).first()
    return bool(row) and any(row)


def memberships(user):
    return list(user.memberships.select_related("practice"))


def is_required(user) -> bool:
    return _required(user, memberships(user))


def _required(user, members) -> bool:
    if user.is_superuser or user.is_staff:
        return True
    return any(m.sees_whole_practice or m.practice.require_two_step for m in members)


def _record(user, make):
    for m in memberships(user):
        events.record(make(m.practice))


def _safe_next(request, default="/"):
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()},
                                                require_https=request.is_secure()):
        return nxt
    return default


class TwoStepMiddleware:
    """After django_otp's OTPMiddleware: a signed-in person with a set-up
    second step who has not passed it this session goes to the step; one who
    must use it and has not set it up goes to the set-up page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not request.path.startswith(OPEN_PREFIXES):
            if has_device(user):
                if not user.is_verified():
                    return self._send(request, "two_step_verify")
            else:
                # Read once for this request: the membership middleware's
                # request.membership is the first of these (one query fewer a page).
                request._memberships = memberships(user)
                if _required(user, request._memberships):
                    return self._send(request, "two_step_setup")
        return self.get_response(request)

    def _send(self, request, name):
        url = reverse(name)
        if request.method == "GET":
            url += "?" + urlencode({"next": request.get_full_path()})
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return redirect(url)


class CodeForm(forms.Form):
    code = forms.CharField(label="Code", max_length=32, strip=True,
                           error_messages={"required": "Enter the code."})

    def cleaned_code(self) -> str:
        return "".join(self.cleaned_data["code"].split()).replace("-", "").lower()


def _totp(user, confirmed):
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("id").first()


def _new_recovery_codes(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


def verify(request):
    """The second step after the password: a code from the app, or a recovery code."""
    user = request.user
    if not user.is_authenticated:
        return redirect("login")
    if not user_has_device(user):
        return redirect(_safe_next(request, reverse("two_step_setup")))
    if user.is_verified():
        return redirect(_safe_next(request))
    form = CodeForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_code()
        device = None
        with transaction.atomic():
            if code.isdigit() and len(code) == 6:
                candidates = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True)
            else:
                candidates = StaticDevice.objects.select_for_update().filter(user=user, confirmed=True)
            for d in candidates:
                if d.verify_token(code):
                    device = d
                    break
        if device is not None:
            otp_login(request, device)
            request.session.pop(SESSION_WRONG, None)
            if isinstance(device, StaticDevice):
                left = StaticToken.objects.filter(device=device).count()
                _record(user, lambda p: events.RecoveryCodeUsed(practice=p, actor=user, left=left))
                messages.warning(request, f"You signed in with a recovery code; {left} of {RECOVERY_CODES} are left. "
                                          "Each works once. Make new ones on your sign-in settings page if you are "
                                          "running low." if left else "That was your last recovery code. Make new "
                                          "ones now on your sign-in settings page.")
            else:
                _record(user, lambda p: events.TwoStepPassed(practice=p, actor=user))
            return redirect(_safe_next(request))
        wrong = request.session.get(SESSION_WRONG, 0) + 1
        _record(user, lambda p: events.TwoStepFailed(practice=p, actor=user, attempt=wrong))
        if wrong >= MAX_WRONG_CODES:
            logout(request)
            messages.error(request, "That code was wrong too many times, so you have been signed out. "
                                    "Sign in again with your password.")
            return redirect("login")
        request.session[SESSION_WRONG] = wrong
        error = ("That code did not work. Codes from the app change every 30 seconds: enter the one showing now. "
                 "Or enter one of your recovery codes.")
    return render(request, "registration/two_step.html", {"form": form, "error": error,
                                                          "next": _safe_next(request, "")})


def _grouped(secret: str) -> str:
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


@login_required
def setup(request):
    """Set up the app: a QR code, the same key in letters, then one code to
    prove it works; recovery codes follow, shown once."""
    user = request.user
    if user_has_device(user) and not user.is_verified():
        return redirect(reverse("two_step_verify") + "?" + urlencode({"next": request.get_full_path()}))
    if user_has_device(user):
        return render(request, "registration/two_step_settings.html", {
            "required": is_required(user),
            "codes_left": StaticToken.objects.filter(device__user=user).count(),
        })
    device = _totp(user, confirmed=False)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    form = CodeForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
            ok = device.verify_token(form.cleaned_code())
            if ok:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                TOTPDevice.objects.filter(user=user, confirmed=False).delete()
                codes = _new_recovery_codes(user)
        if ok:
            otp_login(request, device)
            request.session[SESSION_CODES] = codes
            _record(user, lambda p: events.TwoStepSetUp(practice=p, actor=user))
            return redirect(reverse("two_step_recovery") + "?" + urlencode({"next": _safe_next(request)}))
        error = "That code did not match. Check the app shows stillhere, and enter the code showing now."
    secret = b32encode(device.bin_key).decode()
    qr = segno.make(device.config_url, error="m")
    return render(request, "registration/two_step_setup.html", {
        "form": form, "error": error, "required": is_required(user), "next": _safe_next(request, ""),
        "qr": qr.svg_data_uri(scale=5, border=2, dark="#000", light="#fff"),
        "secret": _grouped(secret),
    })


@login_required
def recovery(request):
    """The new recovery codes, shown this once (and downloadable) until the
    person says they have kept them."""
    codes = request.session.get(SESSION_CODES)
    if not codes:
        return redirect("two_step_setup")
    if request.method == "POST":
        request.session.pop(SESSION_CODES, None)
        return redirect(_safe_next(request))
    if request.GET.get("download"):
        body = ("stillhere recovery codes for " + request.user.get_username() + "\n\n"
                "Each code works once, in place of a code from your authenticator app.\n\n"
                + "\n".join(codes) + "\n")
        response = HttpResponse(body, content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="stillhere-recovery-codes.txt"'
        return response
    return render(request, "registration/two_step_recovery.html", {"codes": codes, "next": _safe_next(request, "")})


@require_POST
@login_required
def renew_codes(request):
    if not request.user.is_verified():
        return redirect("two_step_verify")
    request.session[SESSION_CODES] = _new_recovery_codes(request.user)
    _record(request.user, lambda p: events.RecoveryCodesRenewed(practice=p, actor=request.user))
    return redirect("two_step_recovery")


@require_POST
@login_required
def turn_off(request):
    user = request.user
    if not user.is_verified():
        return redirect("two_step_verify")
    if is_required(user):
        messages.error(request, "Your role needs the second step, so it stays on.")
        return redirect("two_step_setup")
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    _record(user, lambda p: events.TwoStepTurnedOff(practice=p, actor=user))
    messages.success(request, "The second step is off. You can turn it on again here at any time.")
    return redirect("two_step_setup")
