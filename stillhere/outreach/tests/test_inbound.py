import time

from django.test import override_settings

from stillhere.channels.sms.providers import Twilio
from stillhere.outreach import inbound
from stillhere.outreach.models import ChannelBlock, OutreachAttempt, Reply
from stillhere.outreach.tests.helpers import sms_settings

from .helpers import DAY1, OutreachTestCase, miss, td, tick

SECRET = "inbound-secret"


@override_settings(INBOUND_EMAIL_SECRET=SECRET, **sms_settings("http://127.0.0.1:9"))
class InboundTestCase(OutreachTestCase):
    def setUp(self):
        super().setUp()
        miss(self.ana)
        tick(DAY1)
        tick(DAY1 + td(days=4))
        self.approve_all()
        tick(DAY1 + td(days=4))
        self.attempt = OutreachAttempt.objects.get(step__key="message")

    def email(self, message_id="<r1@client.example>", to=None):
        to = to or f"replies+{self.attempt.code.hex}@in.riverside.example"
        return (f"From: ana@example.org\r\nTo: {to}\r\nMessage-ID: {message_id}\r\nSubject: Re: Checking in\r\n\r\n"
                f"Thank you, I'd like to come back.\r\n> quoted text\r\n").encode()

    def post_email(self, body, ts=None, secret=SECRET):
        ts = int(ts or time.time())
        sig = inbound.sign_email_webhook(secret, ts, body)
        return self.client.post("/outreach/inbound/email/", body, content_type="message/rfc822",
                                HTTP_X_STILLHERE_TIMESTAMP=str(ts), HTTP_X_STILLHERE_SIGNATURE=sig)

    def test_a_signed_email_reply_attaches_to_the_client_and_stops_outreach(self):
        r = self.post_email(self.email())
        self.assertEqual(r.status_code, 200)
        reply = Reply.objects.get()
        self.assertEqual((reply.client, reply.source), (self.ana, "email"))
        self.assertEqual(reply.text, "Thank you, I'd like to come back.")
        self.assertEqual(self.step("letter").status, "skipped")
        self.episode.refresh_from_db()
        self.assertEqual(self.episode.state, "re_engaged")

    def test_a_replayed_email_changes_nothing(self):
        self.post_email(self.email())
        r = self.post_email(self.email())
        self.assertContains(r, "already recorded")
        self.assertEqual(Reply.objects.count(), 1)

    def test_a_forged_or_stale_signature_is_refused(self):
        self.assertContains(self.post_email(self.email(), secret="guess"), "does not match", status_code=403)
        self.assertContains(self.post_email(self.email(), ts=time.time() - 3600), "too old", status_code=403)
        r = self.client.post("/outreach/inbound/email/", self.email(), content_type="message/rfc822")
        self.assertContains(r, "Missing X-Stillhere-Timestamp", status_code=400)
        self.assertEqual(Reply.objects.count(), 0)

    def test_an_oversized_email_is_refused_and_changes_nothing(self):
        body = self.email() + b"x" * (inbound.MAX_EMAIL_BYTES + 1)
        r = self.post_email(body)
        self.assertEqual(r.status_code, 413)
        self.assertEqual(Reply.objects.count(), 0)

    def test_a_reply_to_an_unknown_address_attaches_to_nobody(self):
        r = self.post_email(self.email(to="replies+" + "0" * 32 + "@in.riverside.example"))
        self.assertContains(r, "not attached")
        self.assertEqual(Reply.objects.count(), 0)

    def sms_post(self, params, path="/outreach/inbound/sms/", sign=True):
        url = "http://127.0.0.1:8000" + path
        headers = {"HTTP_X_TWILIO_SIGNATURE": Twilio().signature(url, params)} if sign else {}
        return self.client.post(path, params, **headers)

    def test_a_signed_text_reply_stops_outreach_and_stop_blocks_texts(self):
        self.ana.consent_email = False
        self.ana.save()
        OutreachAttempt.objects.filter(id=self.attempt.id).update(channel="sms")
        r = self.sms_post({"From": "+15555550100", "To": "+15555550199", "Body": "STOP", "MessageSid": "SM1"})
        self.assertEqual(r.status_code, 200)
        self.assertEqual(Reply.objects.get().source, "sms")
        self.assertTrue(ChannelBlock.objects.filter(client=self.ana, channel="sms").exists())
        r = self.sms_post({"From": "+15555550100", "To": "+15555550199", "Body": "STOP", "MessageSid": "SM1"})
        self.assertEqual(r.status_code, 200)  # a replay is acknowledged so the provider stops retrying
        self.assertEqual(Reply.objects.count(), 1)

    def _text_for(self, client, created):
        """A text attempt to another client at the same number (the cast share one)."""
        from stillhere.outreach.models import OutreachStep, Sequence

        ep = client.episodes.get()
        seq = Sequence.objects.create(practice=client.practice, client=client, episode=ep, anchor=created,
                                      started=created)
        step = OutreachStep.objects.create(sequence=seq, practice=client.practice, client=client, episode=ep,
                                           position=1, key="message", template="checking_in", channel="sms",
                                           due=created, status="sent")
        return OutreachAttempt.objects.create(step=step, practice=client.practice, client=client, channel="sms",
                                              status="sent", created=created)

    def test_a_text_reply_to_a_number_texted_in_two_practices_is_attached_to_nobody(self):
        OutreachAttempt.objects.filter(id=self.attempt.id).update(channel="sms")
        self._text_for(self.cleo, DAY1 + td(days=5))  # Hillside texted the same number later
        r = self.sms_post({"From": "+15555550100", "To": "+15555550199", "Body": "Who is this?",
                           "MessageSid": "SM7"})
        self.assertEqual(r.status_code, 200)
        self.assertEqual(Reply.objects.count(), 0)
        self.assertEqual(self.cleo.outreach_sequences.get().status, "running")
        self.assertEqual(self.ana.outreach_sequences.get().status, "running")

    def test_a_text_reply_matches_the_one_client_texted_at_that_number(self):
        OutreachAttempt.objects.filter(id=self.attempt.id).update(channel="sms")
        self.cleo.phone = "+15555550111"
        self.cleo.save()
        self._text_for(self.cleo, DAY1 + td(days=5))
        self.sms_post({"From": "+15555550100", "To": "+15555550199", "Body": "Thanks", "MessageSid": "SM8"})
        self.assertEqual(Reply.objects.get().client, self.ana)

    def test_an_unsigned_or_oversized_text_webhook_is_refused(self):
        params = {"From": "+15555550100", "Body": "hi", "MessageSid": "SM2"}
        self.assertEqual(self.sms_post(params, sign=False).status_code, 403)
        big = dict(params, Body="x" * (inbound.MAX_SMS_BYTES + 10))
        self.assertEqual(self.sms_post(big).status_code, 413)
        self.assertEqual(Reply.objects.count(), 0)

    def test_a_delivery_receipt_settles_an_uncertain_text(self):
        OutreachAttempt.objects.filter(id=self.attempt.id).update(status="uncertain", provider_id="")
        self.attempt.step.__class__.objects.filter(id=self.attempt.step_id).update(status="uncertain")
        path = f"/outreach/status/{self.attempt.code}/"
        r = self.sms_post({"MessageSid": "SM9", "MessageStatus": "delivered"}, path=path)
        self.assertEqual(r.status_code, 200)
        self.attempt.refresh_from_db()
        self.assertEqual((self.attempt.status, self.attempt.provider_id), ("sent", "SM9"))
        self.assertEqual(self.step("message").status, "sent")

    def test_a_receipt_for_an_unknown_message_is_acknowledged_and_ignored(self):
        path = "/outreach/status/00000000-0000-0000-0000-000000000000/"
        self.assertEqual(self.sms_post({"MessageSid": "SMx", "MessageStatus": "failed"}, path=path).status_code, 200)
