"""The four stories of DESIGN.md, end to end through outreach, day by day.

The engagement scan's StateChange rows are written directly here (as the
scan would: a missed session, or a lapse), then the tick runs each morning
with time travel; the clinician approves drafts, logs calls and posts letters.
"""

from django.core import mail
from django.test import override_settings

from stillhere.clients.models import Episode
from stillhere.engagement.transitions import change_state
from stillhere.outreach import actions
from stillhere.outreach.models import OutreachStep, PrintBatch, Reply
from stillhere.test import BaseTestCase, make_client

from .helpers import datetime, sms_settings, start_provider, td, tick, tz

T0 = datetime(2026, 3, 2, 10, tzinfo=tz.utc)  # the missed session, a Monday morning in London


class StoriesTestCase(BaseTestCase):
    def person(self, ext, first, **consents):
        c = make_client(self.riverside, self.alice, ext, first, "Story", address_line1="12 Willow Way",
                        city="Fairhaven", postal_code="FH4 0AA", **consents)
        ep = c.episodes.get()
        ep.state = "active"
        ep.save()
        return c, ep

    def live(self, days, calls=(), reply=None):
        """Run the mornings; returns [(day, step, channel, status, outcome)] as things happen."""
        seen = {}
        for day in range(days + 1):
            now = T0 + td(days=day, hours=1)
            tick(now)
            for s in OutreachStep.objects.filter(status="awaiting_approval"):
                actions.approve(self.alice, s, now)
            tick(now)
            for s in OutreachStep.objects.filter(status="to_call"):
                actions.log_call(self.alice, s, calls[0] if calls else "no_answer", now)
                calls = calls[1:]
            for b in PrintBatch.objects.filter(status="open"):
                actions.mark_posted(self.adam, b.id, now)
            if reply and reply[0] == day:
                reply[1](now)
            for s in OutreachStep.objects.all():
                key = (s.id, s.status)
                if key not in seen and s.status not in ("scheduled", "approved", "awaiting_approval"):
                    seen[key] = (day, s.key, s.channel, s.status, s.outcome)
        return sorted(seen.values(), key=lambda r: (r[0], r[1]))

    def test_the_letter_that_opened_a_door(self):
        dana, ep = self.person("dana", "Dana", consent_email=True, consent_voicemail=True, consent_letter=True)
        change_state(ep, "missed", "no_show", at=T0)
        log = self.live(30)
        self.assertEqual([r for r in log if r[3] in ("logged", "sent", "posted")], [
            (3, "call", "call", "logged", "no_answer"),
            (7, "message", "email", "sent", ""),
            (14, "letter", "letter", "posted", ""),
            (28, "closing", "letter", "posted", ""),
        ])
        ep.refresh_from_db()
        self.assertEqual((ep.state, ep.end_reason), ("ended_no_goodbye", "no_goodbye"))
        self.assertIn("one more session", OutreachStep.objects.get(key="letter").body)
        # Two years on she comes back: a new episode linked to the old one.
        back = Episode.objects.create(practice=self.riverside, client=dana, clinician=self.alice,
                                      started="2028-03-01", previous=ep, state="returned")
        self.assertEqual(back.previous, ep)

    def test_the_quiet_goodbye(self):
        marcus, ep = self.person("marcus", "Marcus", consent_voicemail=True, consent_letter=True)
        change_state(ep, "lapsed", "cancel_no_rebook", at=T0)
        log = self.live(26, calls=["voicemail"])
        self.assertEqual(log[0], (0, "call", "call", "logged", "voicemail"))
        self.assertEqual(log[1][1:4], ("message", "", "skipped"))  # no email or text consent
        self.assertEqual(log[-1], (25, "closing", "letter", "posted", ""))
        voicemail = OutreachStep.objects.get(key="call").body
        self.assertNotIn("missed", voicemail.lower())  # it assumes nothing
        ep.refresh_from_db()
        self.assertEqual(ep.state, "ended_no_goodbye")
        actions.log_reply(marcus, "letter", T0 + td(days=40), text="A thank-you card", actor=self.alice.user)
        ep.refresh_from_db()
        self.assertEqual((ep.state, Reply.objects.get().source), ("ended_no_goodbye", "letter"))

    def test_the_first_session_that_went_wrong(self):
        jordan, ep = self.person("jordan", "Jordan", consent_sms=True, consent_voicemail=True)
        change_state(ep, "missed", "no_show", at=T0)
        srv = start_provider()
        with override_settings(**sms_settings(srv.url)):
            log = self.live(30, calls=["voicemail"])
        srv.shutdown()
        self.assertEqual([r for r in log if r[3] != "skipped"], [
            (3, "call", "call", "logged", "voicemail"),
            (7, "message", "sms", "sent", ""),
            (28, "closing", "sms", "sent", ""),
        ])
        self.assertEqual(len(srv.requests), 2)
        ep.refresh_from_db()
        self.assertEqual(ep.state, "ended_no_goodbye")

    def test_too_much_too_soon(self):
        priya, ep = self.person("priya", "Priya", consent_voicemail=True, consent_email=True)
        change_state(ep, "missed", "no_show", at=T0)
        log = self.live(24, calls=["voicemail"], reply=(20, lambda now: actions.log_reply(
            priya, "call", now, text="Called back", actor=self.alice.user, by_membership=self.alice)))
        self.assertEqual([r for r in log if r[3] in ("logged", "sent")], [
            (3, "call", "call", "logged", "voicemail"), (7, "message", "email", "sent", "")])
        self.assertIn((20, "closing", "email", "skipped", ""), log)
        ep.refresh_from_db()
        self.assertEqual(ep.state, "re_engaged")
        self.assertEqual(OutreachStep.objects.get(key="closing").status, "skipped")
        self.assertEqual(len(mail.outbox), 1)  # the email a few days after the voicemail, nothing after she called
