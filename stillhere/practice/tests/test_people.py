"""Invite, set a password from the emailed link, change a role, deactivate,
forgot password, and sign-in errors in words."""

import re

from django.contrib.auth import get_user_model
from django.core import mail
from django.test import override_settings

from stillhere.audit.models import AuditEvent
from stillhere.clients.models import Episode
from stillhere.test import PASSWORD, BaseTestCase

NEW_PASSWORD = "a long river at dusk"


def link_in(message) -> str:
    return re.search(r"http://testserver(/password/set/\S+/)", message.body).group(1)


class InviteTestCase(BaseTestCase):
    def test_an_invited_colleague_sets_a_password_from_the_email_and_is_signed_in(self):
        self.login(self.dora)
        r = self.client.post("/settings/people/", {"name": "Erin Evans", "email": "Erin@Example.org",
                                                   "role": "clinician"})
        self.assertRedirects(r, "/settings/people/")
        self.assertEqual(len(mail.outbox), 1)
        self.assertIn("works for 3 days", mail.outbox[0].body)
        self.assertEqual(mail.outbox[0].to, ["erin@example.org"])
        user = get_user_model().objects.get(username="erin@example.org")
        self.assertFalse(user.has_usable_password())
        self.assertEqual(AuditEvent.objects.get(verb="member-invited").data, {"role": "clinician"})

        self.client.logout()
        url = link_in(mail.outbox[0])
        r = self.client.get(url, follow=True)
        self.assertContains(r, "Choose a password")
        r = self.client.post(r.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
        self.assertRedirects(r, "/")
        self.assertContains(self.client.get("/"), "Erin Evans")
        self.assertTrue(AuditEvent.objects.filter(verb="password-set", actor=user).exists())
        # The link works once.
        self.client.logout()
        self.assertContains(self.client.get(url, follow=True), "This link no longer works")

    def test_an_address_already_in_use_and_a_typo_are_explained(self):
        self.login(self.dora)
        r = self.client.post("/settings/people/", {"name": "A", "email": "alice@example.org", "role": "clinician"})
        self.assertContains(r, "already has an account")
        r = self.client.post("/settings/people/", {"name": "A", "email": "alice@", "role": "clinician"})
        self.assertContains(r, "That is not an email address")
        self.assertEqual(len(mail.outbox), 0)

    @override_settings(PASSWORD_RESET_TIMEOUT=60)
    def test_an_expired_link_says_so(self):
        import time_machine
        from django.utils import timezone

        self.login(self.dora)
        self.client.post("/settings/people/", {"name": "Erin", "email": "erin@example.org", "role": "clinician"})
        self.client.logout()
        with time_machine.travel(timezone.now() + timezone.timedelta(hours=2)):
            self.assertContains(self.client.get(link_in(mail.outbox[0]), follow=True), "This link no longer works")


class RolesTestCase(BaseTestCase):
    def test_a_role_change_is_audited(self):
        self.login(self.dora)
        r = self.client.post(f"/settings/people/{self.bob.pk}/", {"action": "role", "role": "director"})
        self.assertEqual(r.status_code, 302)
        self.bob.refresh_from_db()
        self.assertEqual(self.bob.role, "director")
        self.assertEqual(AuditEvent.objects.get(verb="member-changed").data, {"role": ["clinician", "director"]})

    def test_nobody_changes_their_own_role(self):
        self.login(self.dora)
        r = self.client.post(f"/settings/people/{self.dora.pk}/", {"action": "role", "role": "clinician"})
        self.assertContains(r, "cannot change your own role")

    def test_a_deactivated_clinician_cannot_sign_in_and_their_clients_move_to_a_colleague(self):
        self.login(self.dora)
        self.client.post(f"/settings/people/{self.bob.pk}/", {"action": "deactivate"})
        self.client.logout()
        r = self.client.post("/login/", {"username": "bob", "password": PASSWORD})
        self.assertContains(r, "This account has been deactivated")
        self.assertEqual(Episode.objects.filter(client=self.ben).count(), 1)  # nothing deleted
        self.login(self.dora)
        r = self.client.get(f"/settings/people/{self.bob.pk}/")
        self.assertContains(r, "1 client in therapy with Bob")
        self.client.post(f"/settings/people/{self.bob.pk}/", {"action": "move", "to": self.alice.pk})
        self.assertEqual(self.ben.episodes.get().clinician, self.alice)
        self.assertEqual(self.client.get(f"/settings/people/{self.charlie.pk}/").status_code, 404)


class ForgotPasswordTestCase(BaseTestCase):
    def test_forgot_password_sends_a_link_and_the_page_never_says_whether_the_address_exists(self):
        r = self.client.get("/login/")
        self.assertContains(r, "Forgot your password?")
        r = self.client.post("/password/forgot/", {"email": "ALICE@example.org"})
        self.assertRedirects(r, "/password/forgot/sent/")
        self.assertEqual(len(mail.outbox), 1)
        self.assertIn("works once, for 3 days", mail.outbox[0].body)
        r = self.client.post("/password/forgot/", {"email": "nobody@example.org"})
        self.assertRedirects(r, "/password/forgot/sent/")
        self.assertEqual(len(mail.outbox), 1)
        self.assertEqual(AuditEvent.objects.filter(verb="password-reset-requested").count(), 1)
        r = self.client.get(link_in(mail.outbox[0]), follow=True)
        r = self.client.post(r.redirect_chain[-1][0], {"new_password1": "short", "new_password2": "short"})
        self.assertContains(r, "too short")
        self.assertContains(r, "at least 10 characters")

    def test_a_wrong_password_says_what_to_check(self):
        r = self.client.post("/login/", {"username": "alice", "password": "nope"})
        self.assertContains(r, "do not match an account")
        self.assertContains(r, "case-sensitive")
        r = self.client.post("/login/", {"username": "", "password": ""})
        self.assertContains(r, "Enter both your sign-in name and your password")
