from unittest.mock import patch

from django.core import mail

from stillhere.audit.models import AuditEvent
from stillhere.clients.models import Appointment
from stillhere.engagement.models import StateChange
from stillhere.outreach import sending
from stillhere.outreach.models import OutreachAttempt, OutreachSettings, OutreachStep, Sequence

from .helpers import DAY1, MISSED_AT, OutreachTestCase, miss, td, tick


class TickTestCase(OutreachTestCase):
    def test_it_returns_false_when_there_is_nothing_to_do(self):
        for unit in sending.UNITS:
            self.assertIs(unit(DAY1), False)

    def test_it_claims_a_missed_change_once_and_schedules_the_default_plan(self):
        change, noticed = miss(self.ana), MISSED_AT + td(days=1)
        self.assertTrue(sending.handle_one_change(noticed))
        self.assertIs(sending.handle_one_change(noticed), False)
        change.refresh_from_db()
        self.assertEqual(change.processed, noticed)
        steps = list(OutreachStep.objects.order_by("position"))
        self.assertEqual([(s.key, s.channel) for s in steps],
                         [("call", "call"), ("message", "email"), ("letter", "letter"), ("closing", "letter")])
        # The plan starts after the practice's 3-day wait from the missed session.
        self.assertEqual(steps[0].due, MISSED_AT + td(days=3))
        self.assertEqual(steps[1].due - steps[0].due, td(days=4))
        self.assertEqual(AuditEvent.objects.filter(verb="outreach-started").count(), 1)

    def test_a_change_claimed_by_another_tick_is_left_alone(self):
        change = miss(self.ana)
        StateChange.objects.filter(pk=change.pk).update(processed=DAY1)  # the other tick won
        self.assertIs(sending.handle_one_change(DAY1), False)
        self.assertEqual(Sequence.objects.count(), 0)

    def test_it_does_not_start_a_second_sequence_for_the_same_episode(self):
        miss(self.ana)
        tick(DAY1)
        StateChange.objects.create(practice=self.riverside, episode=self.episode, old_state="reaching_out",
                                   new_state="lapsed", reason="gap_beyond_cadence", at=DAY1)
        self.episode.refresh_from_db()
        tick(DAY1)
        self.assertEqual(Sequence.objects.count(), 1)

    def test_a_client_facing_draft_waits_for_approval_and_the_call_becomes_a_task(self):
        miss(self.ana)
        tick(DAY1)
        tick(DAY1 + td(days=4))
        call, message = self.step("call"), self.step("message")
        self.assertEqual(call.status, "to_call")
        self.assertIn("Hi Ana", call.body)
        self.assertEqual(message.status, "awaiting_approval")
        self.assertEqual(len(mail.outbox), 0)
        self.episode.refresh_from_db()
        self.assertEqual(self.episode.state, "reaching_out")

    def test_a_step_the_practice_allows_goes_out_without_approval(self):
        OutreachSettings.objects.create(practice=self.riverside, auto_send=["message"])
        miss(self.ana)
        tick(DAY1)
        tick(DAY1 + td(days=4))
        self.assertEqual(self.step("message").status, "sent")
        self.assertEqual(len(mail.outbox), 1)
        self.assertEqual(OutreachAttempt.objects.get(step__key="message").status, "sent")

    def test_it_sends_an_approved_step_once_and_records_one_attempt_and_one_audit_row(self):
        miss(self.ana)
        tick(DAY1)
        tick(DAY1 + td(days=4))
        self.approve_all()
        tick(DAY1 + td(days=4))
        tick(DAY1 + td(days=4, hours=1))
        self.assertEqual(len(mail.outbox), 1)
        self.assertEqual(OutreachAttempt.objects.filter(step__key="message").count(), 1)
        self.assertEqual(AuditEvent.objects.filter(verb="outreach-attempted", data__channel="email").count(), 1)

    def test_it_does_not_send_after_rebooking(self):
        miss(self.ana)
        tick(DAY1)
        tick(DAY1 + td(days=4))
        self.approve_all()
        Appointment.objects.create(practice=self.riverside, episode=self.episode, start=DAY1 + td(days=10))
        tick(DAY1 + td(days=4))
        self.assertEqual(len(mail.outbox), 0)
        message = self.step("message")
        self.assertEqual((message.status, message.skip_reason), ("skipped", "the client rebooked"))
        self.assertEqual(self.step("letter").status, "skipped")
        self.episode.refresh_from_db()
        self.assertEqual(self.episode.state, "re_engaged")

    def test_it_stops_when_the_client_asks_not_to_be_contacted(self):
        miss(self.ana)
        tick(DAY1)
        self.ana.do_not_contact = True
        self.ana.save()
        tick(DAY1 + td(days=4))
        self.assertEqual(OutreachStep.objects.exclude(key="call").exclude(status="skipped").count(), 0)
        self.assertEqual(Sequence.objects.get().status, "stopped")

    def test_a_scan_change_to_active_stops_the_sequence(self):
        miss(self.ana)
        tick(DAY1)
        StateChange.objects.create(practice=self.riverside, episode=self.episode, old_state="reaching_out",
                                   new_state="active", reason="attending", at=DAY1 + td(days=1))
        tick(DAY1 + td(days=1))
        self.assertEqual(Sequence.objects.get().status, "stopped")
        self.assertEqual(self.step("message").status, "skipped")

    def test_a_safety_concern_replaces_the_sequence_with_a_same_day_check(self):
        self.ana.safety_concern = True
        self.ana.save()
        miss(self.ana, safety_check=True)
        now = MISSED_AT + td(hours=2)
        tick(now)
        seq = Sequence.objects.get()
        self.assertEqual(seq.kind, "safety")
        step = self.step("safety_check")
        self.assertEqual((step.status, step.channel, step.due), ("to_call", "call", now))

    def test_a_step_with_no_consented_channel_is_skipped_visibly(self):
        self.ana.consent_email = self.ana.consent_sms = False
        self.ana.save()
        miss(self.ana)
        tick(DAY1)
        message = self.step("message")
        self.assertEqual(message.status, "skipped")
        self.assertIn("has not agreed to contact by", message.skip_reason)

    def test_a_transport_failure_is_recorded_and_never_retried_by_the_tick(self):
        miss(self.ana)
        tick(DAY1)
        tick(DAY1 + td(days=4))
        self.approve_all()
        with patch("django.core.mail.EmailMessage.send", side_effect=OSError("down")) as send:
            tick(DAY1 + td(days=4))
            tick(DAY1 + td(days=5))
        self.assertEqual(send.call_count, 1)
        message = self.step("message")
        self.assertEqual(message.status, "failed")
        self.assertIn("Could not reach the mail server", message.attempts.get().error)
        self.assertEqual(AuditEvent.objects.filter(verb="outreach-failed").count(), 1)

    def test_the_closing_message_ends_the_episode_without_goodbye(self):
        OutreachSettings.objects.create(practice=self.riverside, auto_send=["message", "closing"])
        self.ana.consent_letter = False
        self.ana.save()
        miss(self.ana)
        for day in range(0, 30):
            tick(DAY1 + td(days=day))
        self.episode.refresh_from_db()
        self.assertEqual(self.episode.state, "ended_no_goodbye")
        self.assertEqual(self.episode.end_reason, "no_goodbye")
        self.assertEqual(str(self.episode.ended), "2026-02-09")
        self.assertEqual([m.subject for m in mail.outbox], ["Checking in", "Wishing you well"])
        self.assertEqual(Sequence.objects.get().status, "completed")
