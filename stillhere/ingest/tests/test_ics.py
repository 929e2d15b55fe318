import tempfile
from datetime import datetime, timezone

import time_machine

from stillhere.clients.models import Appointment, Client, Episode
from stillhere.lib.crypto import blind_index
from stillhere.test import BaseTestCase, clients_named

from .helpers import FILES, run, run_with_report, write

ICS = FILES / "ics"
NOW = datetime(2026, 5, 1, 8, tzinfo=timezone.utc)


@time_machine.travel(NOW, tick=False)
class CalendarTestCase(BaseTestCase):
    def import_google(self, *extra):
        return run_with_report("ics", ICS / "google-export.ics", "--clinician", "alice@example.org",
                               "--practice", "riverside", "--until", "2026-06-30", *extra)

    def hana(self):
        hana = blind_index("email", "hana.mori@example.net")  # emails are encrypted: found by their blind index
        return list(Appointment.objects.filter(episode__client__email_index=hana).order_by("start"))

    def test_a_weekly_series_is_expanded_with_its_exceptions(self):
        code, report, text = self.import_google()
        self.assertEqual(code, 0, text)
        got = [(a.start.astimezone(self.riverside.tz).strftime("%m-%d %H:%M"), a.status, a.session_number)
               for a in self.hana()]
        self.assertEqual(got, [
            ("03-02 10:00", "attended", 1),
            ("03-09 10:00", "attended", 2),
            ("03-16 10:00", "cancelled", None),   # removed from the series (EXDATE)
            ("03-23 10:00", "attended", 3),
            ("03-31 15:30", "attended", 4),       # moved from Monday to Tuesday afternoon
            ("04-06 10:00", "attended", 5),       # BST: still 10:00 local
            ("04-13 10:00", "cancelled", None),   # this occurrence cancelled
            ("04-20 10:00", "no_show", None),     # marked in CATEGORIES
            ("04-27 10:00", "attended", 6),
        ])
        self.assertEqual(self.hana()[5].start, datetime(2026, 4, 6, 9, tzinfo=timezone.utc))
        self.assertEqual(self.hana()[0].duration_min, 50)
        self.assertEqual(self.hana()[0].booked_at, datetime(2026, 2, 23, 17, 15, 2, tzinfo=timezone.utc))

    def test_the_client_comes_from_the_attendee_or_the_summary(self):
        self.import_google()
        hana = Client.objects.get(email_index=blind_index("email", "hana.mori@example.net"))
        self.assertEqual(hana.email, "hana.mori@example.net")
        self.assertEqual((hana.first_name, hana.last_name), ("Hana", "Mori"))
        [tom] = clients_named("Tom", "Reilly")
        self.assertEqual(Appointment.objects.filter(episode__client=tom).count(), 3)
        self.assertEqual(Episode.objects.get(client=tom).clinician, self.alice)

    def test_events_that_name_no_client_are_skipped_and_listed(self):
        code, report, text = self.import_google()
        reasons = [s["reason"] for s in report["skipped"]]
        self.assertEqual(reasons.count("no client found in the event by the rule"), 4)  # four lunches
        self.assertEqual(reasons.count("an all-day event"), 1)
        self.assertFalse(clients_named("Lunch"))

    def test_reimporting_the_calendar_is_a_no_op_and_a_moved_session_updates(self):
        self.import_google()
        code, report, _ = self.import_google()
        self.assertEqual(report["counts"]["appointments"]["created"], 0)
        self.assertEqual(report["counts"]["appointments"]["updated"], 0)
        text = (ICS / "google-export.ics").read_text().replace("20260331T153000", "20260401T090000").replace(
            "20260331T162000", "20260401T095000")
        with tempfile.TemporaryDirectory() as tmp:
            f = write(tmp, "cal.ics", text)
            code, report, _ = run_with_report("ics", f, "--clinician", "alice@example.org", "--practice",
                                              "riverside", "--until", "2026-06-30")
        self.assertEqual(report["counts"]["appointments"], {"created": 0, "updated": 1, "unchanged": 11})
        self.assertEqual(self.hana()[4].start, datetime(2026, 4, 1, 8, tzinfo=timezone.utc))

    def test_a_pattern_can_take_the_client_id_from_the_summary(self):
        code, report, text = run_with_report(
            "ics", ICS / "apple-export.ics", "--clinician", "bob@example.org", "--practice", "riverside",
            "--client-from", "summary", "--client-pattern", r"#(?P<id>C-\d+)\s+(?P<name>.+)")
        self.assertEqual(code, 0, text)
        appts = list(Appointment.objects.filter(episode__client__external_id="C-2041").order_by("start"))
        self.assertEqual([a.status for a in appts], ["attended", "attended", "late_cancel", "attended"])
        self.assertEqual(appts[0].episode.clinician, self.bob)
        self.assertEqual(appts[0].episode.client.first_name, "Ben")

    def test_a_summary_finds_an_existing_client_by_name(self):
        cal = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:one@x\r\n"
               "DTSTART:20260420T090000Z\r\nDTEND:20260420T095000Z\r\nSUMMARY:Session with Ana Abbott\r\n"
               "END:VEVENT\r\nEND:VCALENDAR\r\n")
        with tempfile.TemporaryDirectory() as tmp:
            code, _, err = run("ics", write(tmp, "c.ics", cal), "--clinician", "alice@example.org",
                               "--practice", "riverside")
        self.assertEqual(code, 0, err)
        self.assertEqual(Appointment.objects.filter(episode__client=self.ana).count(), 3)
        self.assertEqual(len(clients_named("Ana")), 1)

    def test_a_file_that_is_not_a_calendar_is_refused(self):
        with tempfile.TemporaryDirectory() as tmp:
            code, report, _ = run_with_report("ics", write(tmp, "c.ics", "BEGIN:VCARD\r\nFN:x\r\nEND:VCARD\r\n"),
                                              "--clinician", "alice@example.org", "--practice", "riverside")
        self.assertEqual(code, 2)
        self.assertIn("not a readable calendar", report["problems"][0]["reason"])
