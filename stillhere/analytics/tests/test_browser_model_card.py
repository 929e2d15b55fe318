"""Walked in real Chromium with production settings: a director opens the
model card from the practice page, at desktop and phone widths, and reads
which model is in use, how it did and its fairness; a clinician is refused."""

from django.conf import settings
from django.test import override_settings

from stillhere.lib.browser import ARTIFACTS, BrowserTestCase, skip_without_chromium
from stillhere.risk.fitted import fit, store
from stillhere.risk.fitted.tests.test_fitted import ModelDir, synthetic_rows
from stillhere.security.testing import sign_in
from stillhere.test import make_member

skip_without_chromium()


class ModelCardInBrowserTestCase(ModelDir, BrowserTestCase):
    def setUp(self):
        from stillhere.accounts.models import Practice

        super().setUp()
        self.practice = Practice.objects.create(name="Riverside Practice", slug="riverside", timezone="Europe/London")
        make_member(self.practice, "alice", "clinician")
        make_member(self.practice, "dora", "director")
        self.row = store.save(self.practice, fit.fit(synthetic_rows(default_knows=False)))
        self.page = self.browser.new_page(viewport={"width": 1280, "height": 900})
        self.page.set_default_timeout(120_000)

    def tearDown(self):
        self.page.close()
        super().tearDown()

    def login(self, who):
        sign_in(self.page, self.live_server_url, who)

    def test_a_director_reads_the_model_card_at_desktop_and_phone_widths(self):
        self.assertFalse(settings.DEBUG)
        self.assertTrue(self.row.in_use)
        self.login("dora")
        page = self.page
        page.get_by_role("link", name="Practice", exact=True).click()
        page.get_by_role("link", name="The dropout model: how good it is, and how fair").click()
        page.wait_for_url("**/practice/model/")
        self.assertIn("In use: this practice's own model", page.get_by_role("heading", level=2).first.inner_text())
        self.assertTrue(page.get_by_role("img", name="Calibration: predicted against observed").is_visible())
        self.assertTrue(page.get_by_role("heading", name="Is it fair across age groups?").is_visible())
        self.assertTrue(page.get_by_text("No personal details (age, gender").is_visible())
        self.assertTrue(page.get_by_role("heading", name="Known limits").is_visible())
        for width, height in ((1280, 900), (390, 844)):
            page.set_viewport_size({"width": width, "height": height})
            # Nothing spills past the page sideways: wide tables scroll in their own box.
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            self.assertLessEqual(overflow, 0, f"the page scrolls sideways at {width} px")
            self.assertTrue(page.get_by_role("heading", name="The dropout model").is_visible())
            page.screenshot(path=str(ARTIFACTS / f"model-card-{width}.png"), full_page=True)

    def test_a_clinician_is_refused(self):
        self.login("alice")
        response = self.page.goto(self.live_server_url + "/practice/model/")
        self.assertEqual(response.status, 404)
        self.assertNotIn("Calibration", self.page.content())
