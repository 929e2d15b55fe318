"""Walked in real Chromium: the import report's warnings in words, and
tomorrow's likely no-shows marked in the clinician's inbox with their
reminder waiting for approval."""

import io
import tempfile
from datetime import datetime, time, timedelta
from pathlib import Path

from django.core.management import call_command
from django.utils import timezone

from stillhere.lib.browser import ARTIFACTS, BrowserTestCase, skip_without_chromium
from stillhere.test import make_client, make_member

from stillhere.ingest.tests.helpers import PrivateDataDir
from stillhere.security.testing import sign_in

skip_without_chromium()

ROWS = """appointment_id,client_id,client_name,clinician,start,status,booked_at,cancelled_at
late,r-001,Ana Abbott,alice@example.org,2026-03-02T15:00:00+00:00,attended,2026-03-03T09:00:00+00:00,
oddcancel,r-001,Ana Abbott,alice@example.org,2027-03-20T15:00:00+00:00,cancelled,2027-03-05T09:00:00+00:00,2027-03-01T09:00:00+00:00
dateonly,r-001,Ana Abbott,alice@example.org,2027-03-12T00:00:00Z,scheduled,2027-03-09T12:00:00Z,
g1,g-1,Gil One,alice@example.org,2027-03-16T14:00:00+00:00,scheduled,2027-03-09T12:00:00Z,
g2,g-2,Gil Two,alice@example.org,2027-03-16T14:00:00+00:00,scheduled,2027-03-09T12:00:00Z,
g3,g-3,Gil Three,alice@example.org,2027-03-16T14:00:00+00:00,scheduled,2027-03-09T12:00:00Z,
"""


class NoShowInBrowserTestCase(PrivateDataDir, BrowserTestCase):
    def setUp(self):
        from stillhere.accounts.models import Practice

        super().setUp()
        self.practice = Practice.objects.create(name="Riverside Practice", slug="riverside", timezone="Europe/London")
        self.alice = make_member(self.practice, "alice", "clinician")
        make_member(self.practice, "dora", "director")
        self.ana = make_client(self.practice, self.alice, "r-001", "Ana", "Abbott", consent_sms=True)
        self.page = self.browser.new_page(viewport={"width": 1280, "height": 900})
        self.page.set_default_timeout(120_000)   # a machine shared by several builds can be slow

    def tearDown(self):
        self.page.close()
        super().tearDown()

    def login(self, who):
        sign_in(self.page, self.live_server_url, who)

    def shots(self, name):
        page = self.page
        page.set_viewport_size({"width": 1280, "height": 900})
        page.screenshot(path=str(ARTIFACTS / f"{name}-1280.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(ARTIFACTS / f"{name}-390.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})

    def test_the_import_report_says_what_to_check_in_words(self):
        from django.conf import settings

        self.assertFalse(settings.DEBUG)
        self.login("dora")
        page = self.page
        page.get_by_role("link", name="Import").click()
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "appointments.csv"
            path.write_text(ROWS)
            page.get_by_label("Appointments (CSV)").set_input_files(str(path))
            page.get_by_role("group", name="CSV export").get_by_role("button", name="Upload and preview").click()
            page.wait_for_url("**/import/*/")
        page.get_by_role("button", name="Import", exact=True).click()
        page.get_by_text("Imported.").wait_for(timeout=60000)
        warnings = page.locator("table.warnings")
        self.assertIn("4 things to check", warnings.locator("caption").inner_text())
        text = warnings.inner_text()
        self.assertIn("booked after the appointment (Mon 2 Mar 2026, 15:00)", text)
        self.assertIn("cancelled before it was booked", text)
        self.assertIn("read as that date in the practice's time zone", text)
        self.assertIn("3 appointments with one clinician start at this minute", text)
        self.assertTrue(page.get_by_text("No-show risk worked out for 4 booked appointments.").is_visible())
        self.shots("import-warnings")

    def test_tomorrows_likely_no_show_is_marked_with_its_reminder_in_the_inbox(self):
        from stillhere.clients.models import Appointment
        from stillhere.outreach.sending import run_once

        now = timezone.now()
        tz = self.practice.tz
        tomorrow = now.astimezone(tz).date() + timedelta(days=1)
        Appointment.objects.create(practice=self.practice, episode=self.ana.episodes.get(), external_id="soon",
                                   start=datetime.combine(tomorrow, time(15, 0), tz),
                                   booked_at=now - timedelta(days=36))
        call_command("scan", "--practice", "riverside", stdout=io.StringIO(), stderr=io.StringIO())
        run_once(lambda: timezone.now())   # drafts the reminder
        self.login("alice")
        page = self.page
        section = page.locator("section.reminders")
        self.assertIn("Tomorrow: a reminder may help", section.locator("h2").inner_text())
        item = section.locator("li", has_text="Ana Abbott")
        self.assertIn("chance of a no-show", item.inner_text())
        self.assertIn("Missed the last session", item.inner_text())
        self.assertIn("at 3:00 p.m.", item.inner_text())
        self.shots("inbox-reminders")
        item.get_by_role("link", name="Reminder ready for your approval").click()
        page.wait_for_url("**/outreach/steps/*/")
        self.assertIn("looking forward to seeing you tomorrow at 3:00pm", page.content())
        self.assertNotIn("two texts", page.content())
        self.shots("reminder-step")
