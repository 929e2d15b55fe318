"""Uploading an export in real Chromium: preview, progress bar, report."""

from stillhere.lib.browser import ARTIFACTS, BrowserTestCase, skip_without_chromium
from stillhere.test import PASSWORD, make_client, make_member
from stillhere.security.testing import pass_second_step

from .helpers import FILES, PrivateDataDir

skip_without_chromium()


class ImportInBrowserTestCase(PrivateDataDir, BrowserTestCase):
    def setUp(self):
        from stillhere.accounts.models import Practice

        practice = Practice.objects.create(name="Riverside Practice", slug="riverside", timezone="Europe/London")
        self.alice = make_member(practice, "alice", "clinician")
        make_member(practice, "dora", "director")
        make_client(practice, self.alice, "r-001", "Ana", "Abbott")
        self.page = self.browser.new_page()

    def tearDown(self):
        self.page.close()

    def test_a_director_uploads_an_export_sees_a_preview_and_imports_it(self):
        from stillhere.clients.models import Appointment

        page = self.page
        page.goto(self.live_server_url + "/login/")
        page.get_by_label("Username").fill("dora")
        page.get_by_label("Password").fill(PASSWORD)
        page.keyboard.press("Enter")
        pass_second_step(page, "dora")
        page.wait_for_url(self.live_server_url + "/")
        page.get_by_role("link", name="Import").click()
        page.get_by_label("Appointments (CSV)").set_input_files(str(FILES / "csv" / "appointments.csv"))
        page.get_by_label("Clients (CSV, optional)").set_input_files(str(FILES / "csv" / "clients.csv"))
        page.get_by_role("group", name="CSV export").get_by_role("button", name="Upload and preview").click()
        page.wait_for_url("**/import/*/")
        self.assertTrue(page.get_by_role("cell", name="Maya Lind").first.is_visible())
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "import-preview.png"), full_page=True)

        page.get_by_role("button", name="Import", exact=True).click()
        page.get_by_text("Imported.").wait_for(timeout=20000)
        self.assertTrue(page.get_by_role("rowheader", name="Appointments").is_visible())
        self.assertTrue(page.locator("#import-status li", has_text="Sam Okafor").is_visible())
        self.assertEqual(Appointment.objects.filter(external_id__startswith="a-").count(), 9)
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(ARTIFACTS / "import-done-phone.png"), full_page=True)
