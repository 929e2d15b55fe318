"""Texts to a real HTTP server on loopback standing in for Twilio."""

import base64

from django.test import override_settings

from stillhere.outreach.models import ChannelBlock, OutreachAttempt
from stillhere.outreach.tests.helpers import (DAY1, OutreachTestCase, miss, sms_settings, start_provider, td,
                                              tick)


class SmsNotifyTestCase(OutreachTestCase):
    def setUp(self):
        super().setUp()
        self.ana.consent_email = False  # so the second step goes by text
        self.ana.save()

    def go(self, srv):
        miss(self.ana)
        tick(DAY1)
        tick(DAY1 + td(days=4))
        self.approve_all()
        with override_settings(**sms_settings(srv.url)):
            tick(DAY1 + td(days=4))
        srv.shutdown()
        return self.step("message")

    def test_it_posts_twilios_form_with_basic_auth_and_keeps_the_sid(self):
        srv = start_provider()
        step = self.go(srv)
        self.assertEqual(step.status, "sent")
        self.assertEqual(len(srv.requests), 1)
        req = srv.requests[0]
        self.assertEqual(req["path"], "/2010-04-01/Accounts/AC123/Messages.json")
        self.assertEqual(req["auth"], "Basic " + base64.b64encode(b"AC123:secret-token").decode())
        form = req["form"]
        self.assertEqual((form["To"], form["From"]), ("+15555550100", "+15555550199"))
        self.assertIn("Hi Ana", form["Body"])
        self.assertNotIn("\xa0", form["Body"])
        attempt = OutreachAttempt.objects.get(step=step)
        self.assertTrue(form["StatusCallback"].endswith(f"/outreach/status/{attempt.code}/"))
        self.assertEqual(attempt.provider_id, f"SM{1:032d}")

    def test_an_invalid_number_blocks_texts_for_this_client(self):
        srv = start_provider(lambda n: (400, '{"code": 21211, "message": "Invalid To"}'))
        step = self.go(srv)
        self.assertEqual(step.status, "failed")
        self.assertEqual(len(srv.requests), 1)
        self.assertTrue(ChannelBlock.objects.filter(client=self.ana, channel="sms").exists())

    def test_a_server_error_is_tried_three_times_within_one_attempt_then_shown_failed(self):
        srv = start_provider(lambda n: (503, "{}"))
        step = self.go(srv)
        self.assertEqual(step.status, "failed")
        self.assertEqual(len(srv.requests), 3)
        self.assertEqual(step.attempts.count(), 1)
        self.assertIn("HTTP 503", step.attempts.get().error)

    def test_without_credentials_it_fails_with_a_clear_message(self):
        miss(self.ana)
        tick(DAY1)
        tick(DAY1 + td(days=4))
        self.approve_all()
        with override_settings(TWILIO_ACCOUNT="", TWILIO_AUTH=""):
            tick(DAY1 + td(days=4))
        self.assertIn("Text messages are not set up", self.step("message").attempts.get().error)
