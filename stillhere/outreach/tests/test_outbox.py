"""The demo's local outbox: emails and texts are kept, shown on a staff page,
and never leave the machine; without it, settings send for real."""

from django.test import override_settings

from stillhere.channels.outbox import EMAIL_BACKEND
from stillhere.outreach.models import OutboxMessage

from .helpers import DAY1, OutreachTestCase, miss, td, tick

OUTBOX = dict(EMAIL_BACKEND=EMAIL_BACKEND, SMS_PROVIDER="outbox", TWILIO_ACCOUNT="", TWILIO_AUTH="")


class OutboxTest(OutreachTestCase):
    def send_message(self):
        miss(self.ana)
        tick(DAY1)
        tick(DAY1 + td(days=4))
        self.approve_all()
        tick(DAY1 + td(days=4))
        return self.step("message")

    @override_settings(**OUTBOX)
    def test_an_approved_email_is_kept_and_shown_on_the_staff_page(self):
        step = self.send_message()
        self.assertEqual(step.status, "sent")
        row = OutboxMessage.objects.get(channel="email")
        self.assertEqual(row.to, "r-001@example.org")
        self.assertIn("/l/", row.body)
        self.login(self.alice)
        page = self.client.get("/outreach/outbox/").content.decode()
        self.assertIn("What went out", page)
        self.assertIn("Email to r-001@example.org", page)
        self.assertIn("Checking in", page)
        self.login(self.bob)  # not Bob's client: he sees nothing of it
        self.assertNotIn("r-001@example.org", self.client.get("/outreach/outbox/").content.decode())

    @override_settings(**OUTBOX)
    def test_a_text_goes_to_the_outbox_without_provider_credentials(self):
        self.ana.consent_email = False
        self.ana.save()
        step = self.send_message()
        self.assertEqual(step.status, "sent")
        self.assertEqual(step.attempts.get().provider_id, f"outbox-{OutboxMessage.objects.get(channel='sms').pk}")

    def test_production_settings_do_not_use_the_outbox(self):
        from django.conf import settings as live

        self.assertNotEqual(live.SMS_PROVIDER, "outbox")
        self.login(self.alice)
        self.assertNotIn("What went out", self.client.get("/").content.decode())
