"""A safety concern imported through the web page is on the clinician's
inbox at once, with nobody running a command: real Chromium, a live server
with production settings (DEBUG off, CSRF on), the director's upload walked
as a director walks it, then the clinician's home page."""

import tempfile
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from stillhere.lib.browser import BrowserTestCase, skip_without_chromium
from stillhere.ingest.tests.helpers import PrivateDataDir
from stillhere.outreach.tests.browser import WIDTHS, no_serious_accessibility_problems, sign_in
from stillhere.test import make_member

skip_without_chromium()


class SafetyImportReachesTheInboxTest(PrivateDataDir, BrowserTestCase):
    def setUp(self):
        super().setUp()
        from stillhere.accounts.models import Practice

        self.practice = Practice.objects.create(name="Riverside Practice", slug="riverside", timezone="Europe/London")
        self.alice = make_member(self.practice, "alice", "clinician")
        make_member(self.practice, "dora", "director")
        self.tmp = Path(tempfile.mkdtemp(prefix="rescan-browser-"))
        self.context = self.browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.page.set_default_timeout(90000)   # a shared, loaded machine: the first page can be slow

    def tearDown(self):
        self.context.close()
        super().tearDown()

    def files(self) -> tuple[Path, Path]:
        """Four weekly sessions, then yesterday's no-show; the export now says there is a safety concern."""
        now = timezone.now().replace(microsecond=0)
        miss = now - timedelta(days=1)
        rows = [f"t-{i},tess,alice@example.org,{(miss - timedelta(weeks=4 - i)).isoformat()},attended"
                for i in range(4)]
        rows.append(f"t-4,tess,alice@example.org,{miss.isoformat()},no_show")
        appts = self.tmp / "appointments.csv"
        appts.write_text("appointment_id,client_id,clinician,start,status\n" + "\n".join(rows) + "\n")
        clients = self.tmp / "clients.csv"
        clients.write_text("client_id,first_name,last_name,email,consent_email,safety_concern\n"
                           "tess,Tess,Tully,tess@example.org,yes,yes\n")
        return appts, clients

    def test_a_director_imports_a_safety_concern_and_it_is_the_clinicians_safety_item(self):
        from stillhere.engagement.models import ScanStatus

        page = self.page
        self.assertFalse(settings.DEBUG)
        appts, clients = self.files()
        sign_in(self, page, "dora")
        page.get_by_role("link", name="Import").click()
        page.get_by_label("Appointments (CSV)").set_input_files(str(appts))
        page.get_by_label("Clients (CSV, optional)").set_input_files(str(clients))
        page.get_by_role("group", name="CSV export").get_by_role("button", name="Upload and preview").click()
        page.wait_for_url("**/import/*/")
        page.get_by_role("button", name="Import", exact=True).click()
        page.get_by_text("Imported.").wait_for(timeout=60000)

        # Nobody runs `stillhere scan`: the clinician signs in and the safety check is there.
        sign_in(self, page, "alice")
        safety = page.get_by_role("region", name="Safety check today")
        safety.wait_for()
        self.assertTrue(safety.get_by_role("link", name="Tess Tully").is_visible())
        self.assertIn("check on their safety today", safety.inner_text())
        at = timezone.localtime(ScanStatus.objects.get(practice=self.practice).rescan_at, self.practice.tz)
        checked = page.locator("#last-checked")
        self.assertEqual(checked.inner_text().strip(), f"Last checked {at:%H:%M}, after an import.")
        no_serious_accessibility_problems(self, page)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(path=str(self.tmp / f"inbox-after-import-{width}.png"), full_page=True)
            self.assertTrue((self.tmp / f"inbox-after-import-{width}.png").stat().st_size > 0)
        print(f"screenshots in {self.tmp}")
