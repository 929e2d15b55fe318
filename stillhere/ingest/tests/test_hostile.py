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


CSV_HEAD = "appointment_id,client_id,clinician,start,status,late_minutes\n"


class CsvAndMappingTestCase(BaseTestCase):
    def import_csv(self, text, *extra, clients=None):
        with tempfile.TemporaryDirectory() as tmp:
            args = ["appointments", write(tmp, "appointments.csv", text), "--practice", "riverside", *extra]
            if clients:
                args += ["--clients", write(tmp, "clients.csv", clients)]
            return run_with_report(*args)

    def test_a_truncated_csv_is_refused_and_changes_no_appointment(self):
        good = (CSV_HEAD + "a-1,r-001,alice@example.org,2026-02-02T10:00:00Z,attended,12\n"
                "a-2,r-001,alice@example.org,2026-02-09T10:00:00Z,attended,15\n")
        self.assertEqual(self.import_csv(good)[0], 0)
        for cut in (good[:-4], good[:-1].rsplit(",", 1)[0] + ",", good[:-12]):  # mid-value, at a comma, mid-row
            code, report, text = self.import_csv(cut)
            self.assertEqual(code, 2, cut)
            self.assertTrue(any("cut short" in p["reason"] for p in report["problems"]), text)
        self.assertEqual(Appointment.objects.get(external_id="a-2").minutes_late, 15)

    def test_an_open_quote_at_the_end_is_refused(self):
        code, report, text = self.import_csv(CSV_HEAD + 'a-1,r-001,alice@example.org,2026-02-02T10:00:00Z,"attended\n')
        self.assertEqual(code, 2, text)
        self.assertIn("not valid CSV", text)

    def test_a_mapping_extends_only_a_preset_by_name(self):
        from stillhere.ingest.mapping import MappingError, parse_mapping

        for bad in ("../../../../etc/passwd", "../presets/simplepractice", "/etc/hostname", "simplepractice/../x"):
            with self.assertRaises(MappingError) as e:
                parse_mapping({"extends": bad}, "ours")
            self.assertIn("the presets are: openemr, simplepractice, therapynotes", str(e.exception))
        with self.assertRaises(MappingError):
            parse_mapping({"extends": ["simplepractice"]}, "ours")
        self.assertEqual(parse_mapping({"extends": "SimplePractice"}, "ours").name, "ours")

    def test_a_nul_byte_in_a_cell_is_a_clear_problem(self):
        code, report, text = self.import_csv(CSV_HEAD + "a-1,r-001,alice@example.org,2026-02-02T10:00:00Z,attended,0\n",
                                             clients="client_id,first_name,last_name\nr-001,An\x00a,Abbott\n")
        self.assertEqual(code, 2, text)
        self.assertIn("NUL character", text)
        self.assertIn("line 2", text)
        self.ana.refresh_from_db()
        self.assertEqual(self.ana.first_name, "Ana")

    def test_a_line_break_in_a_name_or_email_is_refused(self):
        clients = 'client_id,first_name,last_name,email\nr-001,Ana,Abbott,"ana@example.org\r\nBcc: x@evil.example"\n'
        code, report, text = self.import_csv(CSV_HEAD, clients=clients)
        self.assertEqual(code, 2, text)
        self.ana.refresh_from_db()
        self.assertEqual(self.ana.email, "r-001@example.org")


@time_machine.travel(NOW, tick=False)
class FhirAndCalendarLimitsTestCase(BaseTestCase):
    def fhir(self, patient):
        import json

        bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": patient}]}
        with tempfile.TemporaryDirectory() as tmp:
            return run_with_report("fhir", write(tmp, "b.json", json.dumps(bundle)), "--practice", "riverside")

    def test_a_fhir_name_over_100_characters_is_refused_not_cut(self):
        code, report, text = self.fhir({"resourceType": "Patient", "id": "p1",
                                        "name": [{"given": ["A" * 120], "family": "Long"}]})
        self.assertEqual(code, 2, text)
        self.assertIn("longer than 100 characters (120)", text)
        self.assertIn("first_name", text)

    def test_a_fhir_email_with_a_line_break_is_refused(self):
        code, report, text = self.fhir({"resourceType": "Patient", "id": "p2", "name": [{"given": ["Eve"]}],
                                        "telecom": [{"system": "email",
                                                     "value": "eve@example.org\r\nBcc: all@example.org"}]})
        self.assertEqual(code, 2, text)
        self.assertIn("line break", text)

    def test_a_calendar_guest_name_over_100_characters_is_refused(self):
        long_name = "Ana " + "B" * 110
        cal = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:long@x\r\n"
               "DTSTART:20260420T090000Z\r\nDURATION:PT50M\r\n"
               f"ATTENDEE;CN={long_name}:mailto:long@example.org\r\nSUMMARY:Session\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
        with tempfile.TemporaryDirectory() as tmp:
            code, report, text = run_with_report("ics", write(tmp, "c.ics", cal), "--clinician", "alice@example.org",
                                                 "--practice", "riverside")
        self.assertEqual(code, 2, text)
        self.assertIn("longer than 100 characters", text)
        self.assertNotIn("BBBBBBBB", text)


@override_settings(INGEST_INLINE=True)
class AbandonedImportTestCase(PrivateDataDir, BaseTestCase):
    def test_an_import_whose_process_died_is_marked_failed_and_its_files_deleted(self):
        import os

        from stillhere.ingest import uploads

        self.login(self.dora)
        text = CSV_HEAD + "a-1,r-001,alice@example.org,2026-02-02T10:00:00Z,attended,0\n"
        self.client.post("/import/", {"kind": "csv", "csv-preset": "",
                                      "csv-appointments": SimpleUploadedFile("a.csv", text.encode())})
        run = ImportRun.objects.get()
        # What a killed process leaves behind: "running", files on disk, a progress file gone quiet.
        ImportRun.objects.filter(pk=run.pk).update(status="running")
        beat = uploads.folder(run) / "progress.json"
        beat.write_text('{"fraction": 0.4}')
        stored = uploads.folder(run) / run.options["files"]["appointments"]
        r = self.client.get(f"/import/{run.code}/progress/")
        self.assertContains(r, "Importing")  # still beating: left alone
        quiet = beat.stat().st_mtime - uploads.ABANDONED_AFTER.total_seconds() - 60
        os.utime(beat, (quiet, quiet))
        r = self.client.get(f"/import/{run.code}/progress/")
        self.assertContains(r, "stopped before it finished")
        self.assertContains(r, "upload them again")
        run.refresh_from_db()
        self.assertEqual(run.status, "failed")
        self.assertFalse(stored.exists())
        self.assertFalse(Appointment.objects.filter(external_id="a-1").exists())

    def test_import_reports_expire_after_30_days(self):
        from datetime import timedelta

        from stillhere.ingest import uploads

        old = ImportRun.objects.create(practice=self.riverside, kind="csv", status="rejected",
                                       report={"problems": [{"column": "email"}]})
        new = ImportRun.objects.create(practice=self.riverside, kind="csv", status="rejected", report={"x": 1})
        ImportRun.objects.filter(pk=old.pk).update(created=old.created - timedelta(days=31))
        uploads.housekeeping()
        old.refresh_from_db()
        new.refresh_from_db()
        self.assertIsNone(old.report)
        self.assertEqual(new.report, {"x": 1})
