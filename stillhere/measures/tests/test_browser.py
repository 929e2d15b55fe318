"""The end-of-session rating form in real Chromium, with the keyboard."""

from datetime import date

from stillhere.lib.browser import ARTIFACTS, BrowserTestCase, skip_without_chromium
from stillhere.test import PASSWORD, make_client, make_member

skip_without_chromium()


class RatingFormBrowserTestCase(BrowserTestCase):
    def setUp(self):
        from stillhere.accounts.models import Practice
        from stillhere.measures.record import record_result

        practice = Practice.objects.create(name="Riverside Practice", slug="riverside", timezone="Europe/London")
        self.alice = make_member(practice, "alice", "clinician")
        self.ana = make_client(practice, self.alice, "r-001", "Ana", "Abbott")
        record_result(self.ana, "SRS", total=39, taken_on=date(2026, 1, 5))
        self.page = self.browser.new_page()
        self.page.goto(self.live_server_url + "/login/")
        self.page.get_by_label("Username").fill("alice")
        self.page.get_by_label("Password").fill(PASSWORD)
        self.page.keyboard.press("Enter")
        self.page.wait_for_url(self.live_server_url + "/")

    def tearDown(self):
        self.page.close()

    def test_a_clinician_records_a_falling_alliance_rating_and_sees_the_alert_on_the_chart(self):
        from stillhere.measures.models import MeasureResult

        page = self.page
        page.goto(f"{self.live_server_url}/clients/{self.ana.code}/")
        page.get_by_label("Date").fill("2026-01-12")
        page.get_by_label("1. Relationship").fill("9.1")
        for value in ("8.8", "8.6", "8.5"):
            page.keyboard.press("Tab")
            page.keyboard.type(value)
        page.keyboard.press("Enter")
        status = page.get_by_role("status")
        status.wait_for()
        self.assertEqual(status.inner_text(), "SRS 35 recorded for 12 Jan 2026 (alliance concern).")
        self.assertTrue(page.get_by_text("Alliance falling.").is_visible())
        self.assertIn("SRS fell 4 points since the previous session", page.locator(".m-alerts").inner_text())
        self.assertEqual(page.locator("svg .m-alert-point").count(), 1)
        self.assertEqual(MeasureResult.objects.filter(client=self.ana).count(), 2)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "measures-after-rating.png"), full_page=True)

    def test_choosing_phq9_shows_its_items_and_a_bad_answer_is_explained_in_place(self):
        from stillhere.measures.models import MeasureResult

        page = self.page
        page.set_viewport_size({"width": 390, "height": 844})  # phone width
        page.goto(f"{self.live_server_url}/clients/{self.ana.code}/")
        page.get_by_label("Questionnaire").select_option("PHQ-9")
        item9 = page.get_by_label("9. Thoughts of death or self-harm")
        item9.wait_for()
        for i in range(1, 9):
            page.locator(f"#m-item{i}").fill("1")
        item9.fill("4")
        page.get_by_role("button", name="Save rating").click()
        error = page.locator("#m-item9-err")
        error.wait_for()
        self.assertEqual(error.inner_text(),
                         "PHQ-9 item 9 (Thoughts of death or self-harm): 4 is above the highest answer, 3.")
        self.assertEqual(page.locator("#m-item9").get_attribute("aria-invalid"), "true")
        self.assertEqual(page.locator("#m-item1").input_value(), "1")  # nothing typed is lost
        self.assertEqual(MeasureResult.objects.filter(instrument="PHQ-9").count(), 0)
        page.locator("#m-item9").fill("1")
        page.get_by_role("button", name="Save rating").click()
        page.get_by_role("status").wait_for()
        self.assertTrue(page.locator(".m-safety").is_visible())
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "measures-phone.png"), full_page=True)
        self.assertEqual(MeasureResult.objects.get(instrument="PHQ-9").items[8], 1)
