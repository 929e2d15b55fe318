"""Files built to hurt: each is refused with a clear reason and changes nothing."""

import tempfile
from datetime import datetime, timezone
from unittest import mock

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from stillhere.clients.models import Appointment
from stillhere.ingest.models import ImportRun
from stillhere.test import BaseTestCase

from .helpers import PrivateDataDir, run_with_report, write

NOW = datetime(2026, 5, 1, 8, tzinfo=timezone.utc)


def calendar(rule, start="19700101T100000Z"):
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:flood@x\r\n"
            f"DTSTART:{start}\r\nDURATION:PT50M\r\nRRULE:{rule}\r\nSUMMARY:Session with Ana Abbott\r\n"
            "END:VEVENT\r\nEND:VCALENDAR\r\n")


NEVER_EXPAND = mock.patch("recurring_ical_events.of", side_effect=AssertionError("expanded a flood"))


@time_machine.travel(NOW, tick=False)
class RecurrenceLimitsTestCase(PrivateDataDir, BaseTestCase):
    def import_ics(self, text):
        with tempfile.TemporaryDirectory() as tmp:
            path = write(tmp, "flood.ics", text)
            return run_with_report("ics", path, "--clinician", "alice@example.org", "--practice", "riverside")

    def test_repeats_every_second_or_minute_since_1970_are_refused_at_once(self):
        for rule, word in (("FREQ=SECONDLY", "second"), ("FREQ=MINUTELY;INTERVAL=1", "minute"),
                           ("FREQ=HOURLY", "hour")):
            with NEVER_EXPAND:  # refused from the rule alone, before anything is built in memory
                code, report, text = self.import_ics(calendar(rule))
            self.assertEqual(code, 2, text)
            self.assertIn(f"repeats every {word}", text)
            self.assertIn("at most daily", report["problems"][0]["reason"])
        self.assertEqual(Appointment.objects.filter(external_id__startswith="ics:").count(), 0)

    def test_a_daily_series_too_long_to_expand_is_refused_before_expanding(self):
        with NEVER_EXPAND:
            code, report, text = self.import_ics(calendar("FREQ=DAILY", start="18500101T100000Z"))
        self.assertEqual(code, 2, text)
        self.assertIn("more than 50,000 appointments", text)
        self.assertIn("earlier --until", text)
        self.assertEqual(Appointment.objects.filter(external_id__startswith="ics:").count(), 0)

    def test_an_ordinary_weekly_series_still_imports(self):
        code, report, text = self.import_ics(calendar("FREQ=WEEKLY;COUNT=3", start="20260406T090000Z"))
        self.assertEqual(code, 0, text)
        self.assertEqual(Appointment.objects.filter(external_id__startswith="ics:flood").count(), 3)

    @override_settings(INGEST_INLINE=True)
    def test_the_web_preview_refuses_the_flood_too(self):
        self.login(self.dora)
        upload = SimpleUploadedFile("flood.ics", calendar("FREQ=SECONDLY").encode(), content_type="text/calendar")
        with NEVER_EXPAND:
            r = self.client.post("/import/", {"kind": "ics", "ics-calendar": upload,
                                               "ics-clinician": "alice@example.org", "ics-client_from": "attendee"},
                                 follow=True)
        self.assertContains(r, "repeats every second")
        run = ImportRun.objects.get()
        self.assertNotEqual(run.status, "imported")
