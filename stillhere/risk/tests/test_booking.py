"""Every booked appointment has a no-show risk the moment it is booked."""

import tempfile
from datetime import datetime, timezone

import time_machine

from stillhere.clients.models import Appointment, Episode
from stillhere.ingest.tests.helpers import run, write
from stillhere.risk.booking import appointment_booked
from stillhere.risk.models import NoShowRisk
from stillhere.test import BaseTestCase

HEADER = "appointment_id,client_id,client_name,clinician,start,status,booked_at\n"


class ScoredAtBookingTestCase(BaseTestCase):
    def import_rows(self, rows: str):
        with tempfile.TemporaryDirectory() as tmp:
            path = write(tmp, "appointments.csv", HEADER + rows)
            code, out, err = run("appointments", path, "--practice", "riverside")
        self.assertEqual(code, 0, err)
        return out

    @time_machine.travel(datetime(2026, 3, 10, 10, 0, tzinfo=timezone.utc), tick=False)
    def test_a_same_day_booking_and_a_first_appointment_a_week_ahead_have_a_risk_at_once(self):
        # Ana (attended once, missed once) is booked at 10:00 for 15:00 today;
        # Nadia, new to the practice, is booked for her first appointment next week.
        out = self.import_rows(
            "same-day,r-001,Ana Abbott,alice@example.org,2026-03-10T15:00:00+00:00,scheduled,2026-03-10T10:00:00+00:00\n"
            "first,n-001,Nadia Noor,alice@example.org,2026-03-17T11:00:00+00:00,scheduled,2026-03-10T09:55:00+00:00\n")
        same_day = Appointment.objects.get(external_id="same-day")
        first = Appointment.objects.get(external_id="first")
        # Nadia's episode starts with that appointment: it has not begun yet.
        self.assertEqual(str(first.episode.started), "2026-03-17")
        # Scored at booking; the import's rescan then scores them again as of now, as the morning scan would.
        self.assertEqual(set(NoShowRisk.objects.values_list("appointment__external_id", flat=True)),
                         {"same-day", "first"})
        risks = {r.appointment.external_id: r for r in NoShowRisk.objects.select_related("appointment")
                 .filter(moment=NoShowRisk.Moment.BOOKING)}
        self.assertEqual(set(risks), {"same-day", "first"})
        for r in risks.values():
            self.assertEqual(r.moment, NoShowRisk.Moment.BOOKING)
            self.assertEqual(r.as_of, datetime(2026, 3, 10, 10, 0, tzinfo=timezone.utc))
            self.assertTrue(0.01 < r.probability < 0.6, r.probability)
        self.assertIn("First appointment", risks["first"].reasons)
        # Booked the same day: kept far more often than a booking made ahead.
        self.assertLess(risks["same-day"].probability, risks["first"].probability)
        self.assertEqual(risks[same_day.external_id].appointment_id, same_day.pk)
        self.assertIn("No-show risk worked out for 2 booked appointments", out)

    @time_machine.travel(datetime(2026, 3, 10, 10, 0, tzinfo=timezone.utc), tick=False)
    def test_past_and_cancelled_appointments_are_not_scored_and_a_change_is_scored_again(self):
        self.import_rows(
            "past,r-001,Ana Abbott,alice@example.org,2026-03-03T15:00:00+00:00,attended,2026-02-20T10:00:00+00:00\n"
            "gone,r-001,Ana Abbott,alice@example.org,2026-03-20T15:00:00+00:00,cancelled,2026-02-20T10:00:00+00:00\n"
            "next,r-001,Ana Abbott,alice@example.org,2026-03-24T15:00:00+00:00,scheduled,2026-03-09T10:00:00+00:00\n")
        # Neither at booking nor by the import's rescan: only the session still to come.
        self.assertEqual(set(NoShowRisk.objects.values_list("appointment__external_id", flat=True)), {"next"})
        # The same file again changes nothing, so nothing is scored again.
        scored = NoShowRisk.objects.count()
        self.import_rows(
            "next,r-001,Ana Abbott,alice@example.org,2026-03-24T15:00:00+00:00,scheduled,2026-03-09T10:00:00+00:00\n")
        self.assertEqual(NoShowRisk.objects.count(), scored)
        # Moved to tomorrow: scored again, with the shorter lead time.
        self.import_rows(
            "next,r-001,Ana Abbott,alice@example.org,2026-03-11T15:00:00+00:00,scheduled,2026-03-10T09:00:00+00:00\n")
        before, after = NoShowRisk.objects.filter(moment=NoShowRisk.Moment.BOOKING).order_by("id")
        self.assertLess(after.probability, before.probability)
        self.assertIn("Booked 15 days ahead", before.reasons)
        self.assertFalse([r for r in after.reasons if r.startswith("Booked")])

    @time_machine.travel(datetime(2026, 3, 10, 10, 0, tzinfo=timezone.utc), tick=False)
    def test_the_service_function_scores_one_booking_for_the_api(self):
        episode = Episode.objects.get(client=self.ana)
        appt = Appointment.objects.create(practice=self.riverside, episode=episode,
                                          start=datetime(2026, 3, 12, 9, tzinfo=timezone.utc),
                                          booked_at=datetime(2026, 3, 10, 10, tzinfo=timezone.utc))
        risk = appointment_booked(appt)
        self.assertIsNotNone(risk)
        stored = NoShowRisk.objects.get(appointment=appt)
        self.assertEqual((stored.probability, stored.moment), (risk, "booking"))
        # Ana missed her last session: it shows in the reasons.
        self.assertIn("Missed the last session", stored.reasons)
        appt.status = Appointment.Status.CANCELLED
        appt.save()
        self.assertIsNone(appointment_booked(appt))


class ImportWarningsTestCase(BaseTestCase):
    @time_machine.travel(datetime(2026, 3, 10, 10, 0, tzinfo=timezone.utc), tick=False)
    def test_quirks_in_the_file_are_listed_in_words_and_dates_with_a_z_are_local_dates(self):
        from stillhere.ingest.tests.helpers import run_with_report

        rows = HEADER.strip() + ",cancelled_at\n" + "".join([
            "late,r-001,Ana Abbott,alice@example.org,2026-03-02T15:00:00+00:00,attended,2026-03-03T09:00:00+00:00,\n",
            "oddcancel,r-001,Ana Abbott,alice@example.org,2026-03-20T15:00:00+00:00,cancelled,"
            "2026-03-05T09:00:00+00:00,2026-03-01T09:00:00+00:00\n",
            "dateonly,r-001,Ana Abbott,alice@example.org,2026-03-12T00:00:00Z,scheduled,2026-03-09T12:00:00Z,\n",
            *[f"g{i},g-{i},Guest {i},bob@example.org,2026-03-16T14:00:00+00:00,scheduled,2026-03-09T12:00:00Z,\n"
              for i in range(4)],
        ])
        with tempfile.TemporaryDirectory() as tmp:
            path = write(tmp, "appointments.csv", rows)
            code, report, out = run_with_report("appointments", path, "--practice", "hillside")
        self.assertEqual(code, 0, out)
        reasons = [w["reason"] for w in report["warnings"]]
        self.assertEqual(report["warning_count"], 4, reasons)
        self.assertTrue(any(r.startswith("booked after the appointment (Mon 2 Mar 2026, 09:00)") for r in reasons))
        self.assertTrue(any(r.startswith("cancelled before it was booked") for r in reasons))
        self.assertTrue(any("time zone marker" in r for r in reasons))
        self.assertTrue(any(r.startswith("4 appointments with one clinician start at this minute") for r in reasons))
        self.assertIn("4 things to check (imported as the file says):", out)
        # Hillside is in Chicago: the 12th, not the evening of the 11th.
        a = Appointment.objects.get(external_id="dateonly")
        local = a.start.astimezone(self.hillside.tz)
        self.assertEqual((str(local.date()), local.hour), ("2026-03-12", 0))
        # The date-only appointment and the four guests are scored at once.
        self.assertEqual(report["noshow_scored"], 5)


class AgeIsThePracticesChoiceTestCase(BaseTestCase):
    """A demographic enters the no-show score only when the practice turns it on."""

    @time_machine.travel(datetime(2026, 3, 10, 10, 0, tzinfo=timezone.utc), tick=False)
    def test_a_birth_date_moves_the_score_only_with_the_setting_on(self):
        from datetime import date

        from stillhere.engagement.scan import scan_practice

        self.ana.birth_date = date(2005, 6, 1)     # 20 years old
        self.ana.save()
        appt = Appointment.objects.create(practice=self.riverside, episode=self.ana.episodes.get(),
                                          external_id="next", start=datetime(2026, 3, 17, 11, tzinfo=timezone.utc),
                                          booked_at=datetime(2026, 3, 3, tzinfo=timezone.utc))
        now = datetime(2026, 3, 10, 10, 0, tzinfo=timezone.utc)

        def risk():
            scan_practice(self.riverside, now)
            return NoShowRisk.objects.filter(appointment=appt).latest("id")

        off = risk()
        self.assertNotIn("Younger adult", " ".join(off.reasons))
        self.riverside.age_in_noshow_risk = True
        self.riverside.save()
        on = risk()
        self.assertGreater(on.probability, off.probability)
