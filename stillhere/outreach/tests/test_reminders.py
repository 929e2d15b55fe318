"""Tomorrow's appointments likely to be missed get a warm reminder step."""

import io
from datetime import datetime, timezone

from django.core.management import call_command
from django.test import override_settings

from stillhere.clients.models import Appointment
from stillhere.outreach.models import OutreachSettings, OutreachStep, Sequence
from stillhere.risk.booking import score_bookings
from stillhere.risk.models import NoShowRisk

from .helpers import OutreachTestCase, sms_settings, start_provider, tick

MORNING = datetime(2026, 3, 9, 7, 0, tzinfo=timezone.utc)        # Monday 07:00 in London
TOMORROW_3PM = datetime(2026, 3, 10, 15, 0, tzinfo=timezone.utc)


class RemindersTestCase(OutreachTestCase):
    def setUp(self):
        super().setUp()
        self.ana.consent_email = False   # text only
        self.ana.save()
        # Ana missed her last session, and booked tomorrow's five weeks ago.
        self.appt = Appointment.objects.create(practice=self.riverside, episode=self.episode, external_id="tomorrow",
                                               start=TOMORROW_3PM, booked_at=datetime(2026, 2, 2, tzinfo=timezone.utc))

    def scan(self, now=MORNING):
        out = io.StringIO()
        call_command("scan", "--practice", "riverside", "--as-of", now.isoformat(), stdout=out, stderr=io.StringIO())
        return out.getvalue()

    def test_the_morning_scan_offers_a_reminder_that_waits_for_approval(self):
        out = self.scan()
        risk = NoShowRisk.objects.filter(appointment=self.appt).latest("id")
        self.assertEqual(risk.moment, "scan")
        self.assertGreaterEqual(risk.probability, 0.25)
        self.assertIn("1 reminder offered for tomorrow", out)
        step = OutreachStep.objects.get(sequence__appointment=self.appt)
        self.assertEqual((step.key, step.channel, step.status), ("reminder", "sms", "scheduled"))
        tick(MORNING)
        step.refresh_from_db()
        self.assertEqual(step.status, "awaiting_approval")
        self.assertIn("looking forward to seeing you tomorrow at 3:00pm", step.body)
        self.assertNotIn("therapy", step.body.lower())
        # A second scan the same morning offers nothing twice.
        self.assertNotIn("reminder", self.scan())
        self.assertEqual(OutreachStep.objects.filter(key="reminder").count(), 1)

    def test_the_workers_morning_job_offers_the_same_reminder_as_the_scan_command(self):
        from stillhere.worker import jobs
        from stillhere.worker.clock import Clock

        self.riverside.morning_scan_at = MORNING.time()
        self.riverside.save()
        due = [d for d in jobs.due_now(MORNING) if d.job == "scan" and d.label == "riverside"][0]
        line = jobs.execute(due, jobs.claim(due, "w", MORNING), Clock(MORNING, speed=1e-9), lambda: False)
        self.assertIn("1 reminder offered", line)
        step = OutreachStep.objects.get(sequence__appointment=self.appt)
        self.assertEqual((step.key, step.channel, step.status), ("reminder", "sms", "scheduled"))

    def test_with_auto_send_it_goes_by_text_outside_quiet_hours_and_counts_as_a_fact(self):
        prefs = OutreachSettings.for_practice(self.riverside)
        prefs.auto_send = ["reminder"]
        prefs.save()
        srv = start_provider()
        try:
            with override_settings(**sms_settings(srv.url)):
                self.scan()
                tick(MORNING)          # 07:00: quiet hours until 09:00, nothing goes yet
                self.assertEqual(srv.requests, [])
                nine = datetime(2026, 3, 9, 9, 1, tzinfo=timezone.utc)
                tick(nine)
                tick(nine)             # never twice
        finally:
            srv.shutdown()
        self.assertEqual(len(srv.requests), 1)
        self.assertIn("tomorrow at 3:00pm", srv.requests[0]["form"]["Body"])
        step = OutreachStep.objects.get(sequence__appointment=self.appt)
        self.assertEqual(step.status, "sent")
        self.assertEqual(step.sequence.status, Sequence.Status.COMPLETED)
        # The reminder is now a fact the score reads: it lowers the risk.
        before = NoShowRisk.objects.filter(appointment=self.appt).latest("id")
        later = datetime(2026, 3, 9, 12, 0, tzinfo=timezone.utc)
        after = score_bookings(self.riverside, later, ids=[self.appt.pk])[0]
        self.assertLess(after.probability, before.probability)

    def test_below_the_practice_risk_or_cancelled_no_reminder_goes(self):
        prefs = OutreachSettings.for_practice(self.riverside)
        prefs.reminder_risk = 90
        prefs.save()
        self.scan()
        self.assertFalse(OutreachStep.objects.filter(key="reminder").exists())
        prefs.reminder_risk = 10
        prefs.save()
        self.scan()
        step = OutreachStep.objects.get(key="reminder")
        Appointment.objects.filter(pk=self.appt.pk).update(status="cancelled")
        tick(MORNING)
        step.refresh_from_db()
        self.assertEqual((step.status, step.skip_reason), ("skipped", "the appointment was cancelled or has passed"))
