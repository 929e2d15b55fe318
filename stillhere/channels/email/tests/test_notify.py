"""Email to a real SMTP server on loopback (aiosmtpd)."""

from email import message_from_bytes
from email.policy import default

from django.test import override_settings

from stillhere.outreach.models import ChannelBlock, OutreachAttempt
from stillhere.outreach.tests.helpers import DAY1, SMTP_SETTINGS, Mailbox, OutreachTestCase, miss, td, tick


class EmailNotifyTestCase(OutreachTestCase):
    def go(self, box):
        miss(self.ana)
        tick(DAY1)
        tick(DAY1 + td(days=4))
        self.approve_all()
        with override_settings(**SMTP_SETTINGS, EMAIL_PORT=box.port):
            tick(DAY1 + td(days=4))
        return self.step("message")

    def test_it_delivers_to_the_smtp_server_with_our_message_id_and_reply_tag(self):
        with Mailbox() as box:
            step = self.go(box)
        self.assertEqual(step.status, "sent")
        self.assertEqual(len(box.messages), 1)
        env = box.messages[0]
        self.assertEqual(env.rcpt_tos, ["r-001@example.org"])
        msg = message_from_bytes(env.content, policy=default)
        attempt = OutreachAttempt.objects.get(step=step)
        self.assertEqual(msg["Message-ID"], attempt.provider_id)
        self.assertEqual(msg["Reply-To"], f"replies+{attempt.code.hex}@in.riverside.example")
        self.assertEqual(msg["Subject"], "Checking in")
        text = msg.get_content()
        self.assertIn("Hi Ana", text)
        self.assertIn("/l/", text)  # the personal (short) response link
        self.assertEqual(msg["From"], '"Alice, Riverside Practice" <alice@riverside.example>')

    def test_a_refused_address_blocks_email_for_this_client(self):
        with Mailbox(refuse={"r-001@example.org"}) as box:
            step = self.go(box)
        self.assertEqual(step.status, "failed")
        self.assertIn("refused the address (code 550)", step.attempts.get().error)
        self.assertTrue(ChannelBlock.objects.filter(client=self.ana, channel="email").exists())

    def test_an_unreachable_server_fails_visibly_and_is_not_retried(self):
        with Mailbox() as box:
            port = box.port  # a port that was a mail server a moment ago, now closed
        miss(self.ana)
        tick(DAY1)
        tick(DAY1 + td(days=4))
        self.approve_all()
        with override_settings(**SMTP_SETTINGS, EMAIL_PORT=port):
            tick(DAY1 + td(days=4))
            tick(DAY1 + td(days=5))
        step = self.step("message")
        self.assertEqual(step.status, "failed")
        self.assertEqual(step.attempts.count(), 1)
