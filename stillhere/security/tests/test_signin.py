"""Sign-in security (issue 17), tried as an attacker would: password
guessing, the second step and its recovery codes, password reset by email
over a real SMTP server on loopback, and the security headers."""

import os
import re
import subprocess
import sys
from datetime import timedelta

import time_machine
from django.contrib.auth import get_user_model
from django.test import override_settings
from django.utils import timezone

from stillhere.audit.models import AuditEvent
from stillhere.security.testing import code, enrol
from stillhere.test import PASSWORD, BaseTestCase

WRONG = "not the password at all"


class ThrottlingTestCase(BaseTestCase):
    def sign_in(self, password, username="alice", **extra):
        return self.client.post("/login/", {"username": username, "password": password}, **extra)

    def test_fifty_wrong_passwords_then_the_right_one_is_refused_until_the_pause_ends(self):
        for _ in range(50):
            r = self.sign_in(WRONG)
        self.assertEqual(r.status_code, 429)
        r = self.sign_in(PASSWORD)
        self.assertEqual(r.status_code, 429)
        self.assertNotIn("_auth_user_id", self.client.session)
        self.assertContains(r, "Sign-in is paused for this account from this computer", status_code=429)
        self.assertContains(r, "for 15 minutes", status_code=429)
        self.assertContains(r, 'name="password"', status_code=429)  # the sign-in page, not a bare error page
        # The same name in another case is the same account, and paused too.
        self.assertEqual(self.sign_in(PASSWORD, username="ALICE").status_code, 429)
        # Another person from the same address is not locked out.
        self.assertRedirects(self.sign_in(PASSWORD, username="bob"), "/")
        self.client.post("/logout/")
        # After the pause (counted from the last try), the right password works.
        with time_machine.travel(timezone.now() + timedelta(minutes=16)):
            self.assertRedirects(self.sign_in(PASSWORD), "/")
        verbs = list(AuditEvent.objects.filter(practice=self.riverside, target_id=str(self.alice.user.pk))
                     .values_list("verb", flat=True))
        self.assertGreaterEqual(verbs.count("sign-in-failed"), 4)
        self.assertGreaterEqual(verbs.count("sign-in-locked-out"), 45)
        self.assertGreaterEqual(verbs.count("sign-in-failed") + verbs.count("sign-in-locked-out"), 51)
        self.assertFalse(AuditEvent.objects.filter(data__icontains=WRONG).exists())

    def test_the_lockout_is_per_name_and_address(self):
        for _ in range(6):
            self.sign_in(WRONG, REMOTE_ADDR="192.0.2.10")
        self.assertEqual(self.sign_in(PASSWORD, REMOTE_ADDR="192.0.2.10").status_code, 429)
        self.assertRedirects(self.sign_in(PASSWORD, REMOTE_ADDR="192.0.2.11"), "/")

    def test_an_admin_lifts_the_lockout_in_the_admin_and_it_is_audited(self):
        from axes.models import AccessAttempt

        for _ in range(6):
            self.sign_in(WRONG)
        self.assertEqual(self.sign_in(PASSWORD).status_code, 429)
        staff = get_user_model().objects.create_superuser("root", "root@example.org", PASSWORD)
        admin_client = self.client_class()
        admin_client.force_login(staff)
        attempt = AccessAttempt.objects.get(username="alice")
        r = admin_client.post("/admin/axes/accessattempt/", {"action": "lift_lockout", "_selected_action": [attempt.pk]})
        self.assertEqual(r.status_code, 302)
        self.assertFalse(AccessAttempt.objects.exists())
        self.assertRedirects(self.sign_in(PASSWORD), "/")
        self.assertTrue(AuditEvent.objects.filter(verb="sign-in-unlocked", actor=staff,
                                                  target_id=str(self.alice.user.pk)).exists())

    def test_stillhere_axes_reset_lifts_every_lockout(self):
        from django.core.management import call_command

        for _ in range(6):
            self.sign_in(WRONG)
        self.assertEqual(self.sign_in(PASSWORD).status_code, 429)
        # call_command, not stillhere.cli.main: the latter's run_from_argv closes
        # the test's database connection (the command is the same).
        call_command("axes_reset")
        self.assertRedirects(self.sign_in(PASSWORD), "/")


class SecondStepTestCase(BaseTestCase):
    def sign_in(self, username, password=PASSWORD):
        return self.client.post("/login/", {"username": username, "password": password})

    def test_a_director_must_set_up_the_second_step_before_seeing_any_client(self):
        self.assertRedirects(self.sign_in("dora"), "/", target_status_code=302)
        for url in ("/", "/clients/", f"/clients/{self.ana.code}/", "/practice/"):
            r = self.client.get(url)
            self.assertEqual(r.status_code, 302, url)
            self.assertTrue(r["Location"].startswith("/account/two-step/?next="), url)
        page = self.client.get("/account/two-step/?next=/clients/")
        self.assertContains(page, "Set up the second step")
        self.assertContains(page, 'src="data:image/svg+xml')
        secret = re.search(r'class="secret"><strong>([A-Z2-7 ]+)</strong>', page.content.decode()).group(1)
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device = TOTPDevice.objects.get(user=self.dora.user, confirmed=False)
        import base64
        self.assertEqual(base64.b32decode(secret.replace(" ", "")), device.bin_key)
        self.assertContains(self.client.post("/account/two-step/", {"code": "000000"}), "That code did not match")
        with time_machine.travel(timezone.now() + timedelta(seconds=2)):  # a wrong code pauses the next try 1 s
            r = self.client.post("/account/two-step/", {"code": code(device), "next": "/clients/"})
        self.assertRedirects(r, "/account/two-step/recovery/?next=%2Fclients%2F")
        page = self.client.get("/account/two-step/recovery/?next=/clients/")
        codes = re.findall(r"<li><code>([a-z2-7]+)</code></li>", page.content.decode())
        self.assertEqual(len(codes), 10)
        download = self.client.get("/account/two-step/recovery/?download=1")
        self.assertEqual(download["Content-Disposition"], 'attachment; filename="stillhere-recovery-codes.txt"')
        self.assertIn(codes[0], download.content.decode())
        self.assertRedirects(self.client.post("/account/two-step/recovery/", {"next": "/clients/"}), "/clients/")
        # Shown once: the page does not show them again.
        self.assertRedirects(self.client.get("/account/two-step/recovery/"), "/account/two-step/")
        self.assertEqual(self.client.get(f"/clients/{self.ana.code}/").status_code, 200)
        self.assertTrue(AuditEvent.objects.filter(verb="two-step-set-up", actor=self.dora.user).exists())

        # Next sign-in: the password alone is not enough.
        self.client.post("/logout/")
        self.sign_in("dora")
        r = self.client.get(f"/clients/{self.ana.code}/")
        self.assertRedirects(r, f"/login/two-step/?next=%2Fclients%2F{self.ana.code}%2F", fetch_redirect_response=False)
        r = self.client.post("/login/two-step/", {"code": "123456", "next": "/clients/"})
        self.assertContains(r, "That code did not work")
        with time_machine.travel(timezone.now() + timedelta(seconds=40)):
            r = self.client.post("/login/two-step/", {"code": code(device), "next": "/clients/"})
        self.assertRedirects(r, "/clients/")
        self.assertTrue(AuditEvent.objects.filter(verb="two-step-passed", actor=self.dora.user).exists())
        self.assertTrue(AuditEvent.objects.filter(verb="two-step-failed", actor=self.dora.user).exists())

    def test_a_recovery_code_works_once(self):
        from stillhere.accounts.twostep import _new_recovery_codes

        enrol(self.adam.user)
        codes = _new_recovery_codes(self.adam.user)
        self.sign_in("adam")
        r = self.client.post("/login/two-step/", {"code": codes[3].upper(), "next": "/"})
        self.assertRedirects(r, "/", fetch_redirect_response=False)
        self.assertContains(self.client.get("/"), "9 of 10 are left")
        self.client.post("/logout/")
        self.sign_in("adam")
        r = self.client.post("/login/two-step/", {"code": codes[3], "next": "/"})
        self.assertContains(r, "That code did not work")
        self.assertEqual(self.client.get("/").status_code, 302)
        self.assertEqual(AuditEvent.objects.get(verb="recovery-code-used").data, {"left": 9})

    def test_five_wrong_codes_end_the_session(self):
        enrol(self.dora.user)
        self.sign_in("dora")
        for _ in range(5):
            r = self.client.post("/login/two-step/", {"code": "000000"})
        self.assertRedirects(r, "/login/")
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_it_is_optional_for_a_clinician_unless_the_practice_requires_it(self):
        self.assertRedirects(self.sign_in("alice"), "/")
        self.assertEqual(self.client.get(f"/clients/{self.ana.code}/").status_code, 200)
        self.client.post("/logout/")
        self.riverside.require_two_step = True
        self.riverside.save()
        self.sign_in("alice")
        r = self.client.get(f"/clients/{self.ana.code}/")
        self.assertTrue(r["Location"].startswith("/account/two-step/"))
        # Hillside does not require it.
        self.assertRedirects(self.sign_in("charlie"), "/")

    def test_a_clinician_can_turn_it_on_and_off(self):
        self.sign_in("alice")
        from django_otp.plugins.otp_totp.models import TOTPDevice

        self.client.get("/account/two-step/")
        device = TOTPDevice.objects.get(user=self.alice.user)
        self.client.post("/account/two-step/", {"code": code(device)})
        self.assertContains(self.client.get("/account/two-step/"), "The second step is on")
        self.client.post("/account/two-step/off/")
        self.assertFalse(TOTPDevice.objects.filter(user=self.alice.user).exists())
        # A director cannot.
        self.client.post("/logout/")
        self.client.force_login(self.dora.user)
        self.client.post("/account/two-step/off/")
        self.assertTrue(TOTPDevice.objects.filter(user=self.dora.user).exists())

    def test_an_htmx_request_before_the_step_is_sent_to_the_page_not_given_data(self):
        self.sign_in("dora")
        r = self.client.get(f"/clients/{self.ana.code}/", HTTP_HX_REQUEST="true")
        self.assertEqual(r.status_code, 204)
        self.assertTrue(r["HX-Redirect"].startswith("/account/two-step/"))

    def test_a_reset_link_does_not_skip_the_second_step(self):
        from django.contrib.auth.tokens import default_token_generator
        from django.utils.encoding import force_bytes
        from django.utils.http import urlsafe_base64_encode

        enrol(self.dora.user)
        uid = urlsafe_base64_encode(force_bytes(self.dora.user.pk))
        token = default_token_generator.make_token(self.dora.user)
        r = self.client.get(f"/password/set/{uid}/{token}/")
        self.client.post(r["Location"], {"new_password1": "a brand new phrase", "new_password2": "a brand new phrase"})
        r = self.client.get(f"/clients/{self.ana.code}/")
        self.assertTrue(r["Location"].startswith("/login/two-step/"))


class PasswordResetOverSmtpTestCase(BaseTestCase):
    def test_the_reset_email_arrives_over_loopback_smtp_and_its_link_sets_a_password(self):
        from stillhere.outreach.tests.helpers import Mailbox

        with Mailbox() as box, override_settings(
                EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                EMAIL_HOST="127.0.0.1", EMAIL_PORT=box.port, EMAIL_USE_TLS=False):
            r = self.client.post("/password/forgot/", {"email": "alice@example.org"})
            self.assertRedirects(r, "/password/forgot/sent/")
        self.assertEqual(len(box.messages), 1)
        import email

        message = email.message_from_bytes(box.messages[0].content)
        self.assertEqual(box.messages[0].rcpt_tos, ["alice@example.org"])
        self.assertEqual(message["Subject"], "Choose a new password for stillhere")
        body = message.get_payload(decode=True).decode()
        for clinical in ("Ana", "Abbott", "r-001", "Riverside", "client", "session"):
            self.assertNotIn(clinical, body + message["Subject"])
        link = re.search(r"https?://[^/\s]+(/password/set/\S+/)", body).group(1)
        r = self.client.get(link)
        self.assertEqual(r.status_code, 302)
        r = self.client.post(r["Location"], {"new_password1": "a new phrase to remember",
                                             "new_password2": "a new phrase to remember"})
        self.assertRedirects(r, "/")
        self.client.post("/logout/")
        self.assertRedirects(self.client.post("/login/", {"username": "alice",
                                                          "password": "a new phrase to remember"}), "/")
        # The link works once.
        self.client.post("/logout/")
        self.assertContains(self.client.get(link, follow=True), "This link no longer works")


class HeadersTestCase(BaseTestCase):
    def test_every_page_has_csp_and_no_store(self):
        self.client.force_login(self.dora.user)
        for url in ("/login/", "/", "/clients/", f"/clients/{self.ana.code}/", "/account/two-step/", "/practice/"):
            r = self.client.get(url)
            self.assertEqual(r["Cache-Control"], "no-store", url)
            csp = r["Content-Security-Policy"]
            self.assertIn("script-src 'self'", csp, url)
            self.assertIn("style-src 'self'", csp, url)
            self.assertNotIn("unsafe-inline", csp)
            self.assertIn("frame-ancestors 'none'", csp)

    def test_hsts_and_secure_cookies_when_secure(self):
        env = {**os.environ, "SECURE_COOKIES": "1"}
        env.pop("HSTS_SECONDS", None)
        out = subprocess.run([sys.executable, "-c", "from stillhere import settings as s; print(s.SECURE_HSTS_SECONDS, "
                              "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)"], env=env, capture_output=True,
                             text=True, check=True).stdout.split()
        self.assertEqual(out, ["31536000", "True", "True"])
        env["SECURE_COOKIES"] = "0"
        out = subprocess.run([sys.executable, "-c", "from stillhere import settings as s; print(s.SECURE_HSTS_SECONDS)"],
                             env=env, capture_output=True, text=True, check=True).stdout.split()
        self.assertEqual(out, ["0"])

    @override_settings(SECURE_HSTS_SECONDS=31536000, SECURE_SSL_REDIRECT=False)
    def test_hsts_header_is_sent_over_https(self):
        r = self.client.get("/login/", secure=True)
        self.assertEqual(r["Strict-Transport-Security"], "max-age=31536000")


class PracticeSettingTestCase(BaseTestCase):
    def test_a_director_requires_the_second_step_for_everyone_on_the_practice_page(self):
        self.client.force_login(self.dora.user)
        page = self.client.get("/settings/practice/")
        self.assertContains(page, "Everyone signs in with a second step")
        r = self.client.post("/settings/practice/", {"name": "Riverside Practice", "timezone": "Europe/London",
                                                     "require_two_step": "on"})
        self.assertRedirects(r, "/settings/practice/")
        self.riverside.refresh_from_db()
        self.assertTrue(self.riverside.require_two_step)
        change = AuditEvent.objects.get(verb="settings-changed")
        self.assertIn("require_two_step", str(change.data))
