"""Test helpers for the second step at sign-in (stillhere/accounts/twostep.py).

The requirement is never switched off in tests. Instead:
- `enrol(user)` gives a person a confirmed authenticator device, as the
  set-up page would, and `code(device)` is what their phone would show;
- `force_login()` of Django's test client is wrapped (conftest.py) so a
  person who needs the second step is signed in having passed it, the way
  a real sign-in ends; tests of the step itself use the real pages;
- `pass_second_step(page, user)` finishes a browser sign-in on the code page.
"""

import time

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice


def enrol(user) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def code(device) -> str:
    """A code the device accepts now: the current one, or the next (the
    device refuses a code it has already taken, so two sign-ins within 30
    seconds use successive ones, as its tolerance of one step allows)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    now = totp.t()
    for t in (now, now + 1):
        if t > device.last_t:
            totp.time = device.t0 + t * device.step + 1
            return str(totp.token()).zfill(device.digits)
    raise AssertionError("both usable codes were already used; wait 30 seconds")


def force_login_verified(client, user) -> None:
    """Mark a test client's session as having passed the second step, for a
    person who needs it (what a real sign-in would have ended with)."""
    from django_otp import DEVICE_ID_SESSION_KEY, user_has_device

    from stillhere.accounts.twostep import is_required

    if not (user_has_device(user) or is_required(user)):
        return
    device = enrol(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def pass_second_step(page, username) -> None:
    """In a browser just past the password: enter the app's code if asked,
    or set the second step up (as the person would, with their phone) if the
    page asks for that first. `username` is the sign-in name or a User."""
    from django.contrib.auth import get_user_model

    user = username if hasattr(username, "pk") else get_user_model().objects.get(username__iexact=username)
    # Wait until the form's answer has arrived: off the sign-in or set-up form.
    page.wait_for_url(lambda url: "/two-step/" in url or not any(p in url for p in ("/login/", "/setup/")),
                      timeout=120_000)
    page.wait_for_load_state()
    if "/login/two-step/" in page.url:
        page.get_by_label("Code").fill(code(enrol(user)))
        page.get_by_role("button", name="Continue").click()
        page.wait_for_load_state()
    elif "/account/two-step/" in page.url:
        page.get_by_role("heading", name="Set up the second step").wait_for()
        device = TOTPDevice.objects.get(user=user, confirmed=False)
        page.get_by_label("Code").fill(code(device))
        page.get_by_role("button", name="Turn on the second step").click()
        page.get_by_role("button", name="I have kept them: continue").click()
        page.wait_for_load_state()


def sign_in(page, base_url, username) -> None:
    """A whole browser sign-in, as the person does it: the sign-in page, the
    password, the second step if theirs, and on to the inbox."""
    from stillhere.test import PASSWORD

    page.goto(base_url + "/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")
    pass_second_step(page, username)
    page.wait_for_url(base_url + "/")
