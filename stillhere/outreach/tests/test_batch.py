"""The tick's batches: many steps at once, each still sent once, paced as one
at a time would pace them, and a failure mid-batch losing nothing."""

from unittest.mock import patch

from django.core import mail

from stillhere.audit.chain import verify
from stillhere.audit.models import AuditEvent
from stillhere.engagement.models import StateChange
from stillhere.outreach import batch
from stillhere.outreach.models import DailyCount, OutreachAttempt, OutreachSettings, OutreachStep, Sequence
from stillhere.test import make_client

from .helpers import DAY1, OutreachTestCase, consent_everything, td, tick

NOW = DAY1 + td(days=4)  # 11:00 in London, outside quiet hours


class BatchTestCase(OutreachTestCase):
    def approved(self, n, *, per_client=1, **settings):
        OutreachSettings.objects.create(practice=self.riverside, **{"daily_cap": 1000, "min_gap_hours": 0,
                                                                   **settings})
        clients = []
        for i in range(n):
            c = make_client(self.riverside, self.alice, f"b-{i:03d}", "Client", f"N{i}")
            consent_everything(c)
            ep = c.episodes.get()
            ep.state = "missed"
            ep.save()
            seq = Sequence.objects.create(practice=self.riverside, client=c, episode=ep, anchor=DAY1, started=DAY1)
            for j in range(per_client):
                OutreachStep.objects.create(sequence=seq, practice=self.riverside, client=c, episode=ep,
                                            position=j, key="message", template="checking_in", channel="email",
                                            due=NOW, status="approved", subject="Checking in",
                                            body=f"Hi {i}/{j}, just checking in. Reply any time.")
            clients.append(c)
        return clients

    def test_sixty_steps_go_out_once_each_in_batches_with_their_rows(self):
        self.approved(60)
        with patch.object(batch, "CLAIM", 25), patch.object(batch, "CHUNK", 10):
            lines = tick(NOW)
            tick(NOW + td(hours=1))
        self.assertEqual(len(mail.outbox), 60)
        self.assertEqual(len({m.body for m in mail.outbox}), 60)
        self.assertEqual(sum("OK in" in line for line in lines), 60)
        self.assertEqual(OutreachStep.objects.filter(status="sent").count(), 60)
        self.assertEqual(OutreachAttempt.objects.filter(status="sent").count(), 60)
        self.assertEqual(AuditEvent.objects.filter(verb="outreach-attempted").count(), 60)
        self.assertEqual(DailyCount.objects.get().count, 60)
        # Each episode's first contact is recorded, as the one-step path records it.
        self.assertEqual(StateChange.objects.filter(reason="first_contact", new_state="reaching_out").count(), 60)
        self.assertTrue(verify().ok)

    def test_the_daily_cap_holds_for_a_batch_and_the_rest_wait_for_tomorrow(self):
        self.approved(5, daily_cap=3)
        lines = tick(NOW)
        self.assertEqual(len(mail.outbox), 3)
        waiting = OutreachStep.objects.filter(status="approved")
        self.assertEqual(waiting.count(), 2)
        self.assertTrue(all(s.due > NOW for s in waiting))
        self.assertEqual(sum("daily limit" in line for line in lines), 2)

    def test_two_steps_for_one_client_in_one_batch_keep_the_gap(self):
        self.approved(1, per_client=2, min_gap_hours=20)
        tick(NOW)
        self.assertEqual(len(mail.outbox), 1)
        later = OutreachStep.objects.get(status="approved")
        self.assertEqual(later.due, NOW + td(hours=20))

    def test_a_crash_mid_batch_records_what_went_and_leaves_only_the_step_in_hand(self):
        self.approved(3)
        from stillhere.channels.email.transport import Email

        real, calls = Email.notify, []

        def third_dies(transport, step, attempt):
            calls.append(step.id)
            if len(calls) == 3:
                raise KeyboardInterrupt
            return real(transport, step, attempt)

        with patch.object(Email, "notify", third_dies), self.assertRaises(KeyboardInterrupt):
            tick(NOW)
        self.assertEqual(len(mail.outbox), 2)
        self.assertEqual(OutreachStep.objects.filter(status="sent").count(), 2)
        self.assertEqual(OutreachStep.objects.filter(status="sending").count(), 1)
        tick(NOW + td(minutes=11))  # the sweep: it may have gone, so a person checks; never sent again
        self.assertEqual(OutreachStep.objects.filter(status="uncertain").count(), 1)
        self.assertEqual(len(mail.outbox), 2)

    def test_a_rebooked_client_in_a_batch_is_skipped_and_the_others_go(self):
        from stillhere.clients.models import Appointment

        clients = self.approved(3)
        Appointment.objects.create(practice=self.riverside, episode=clients[1].episodes.get(), start=NOW + td(days=3))
        tick(NOW)
        self.assertEqual(len(mail.outbox), 2)
        skipped = OutreachStep.objects.get(client=clients[1])
        self.assertEqual((skipped.status, skipped.skip_reason), ("skipped", "the client rebooked"))
