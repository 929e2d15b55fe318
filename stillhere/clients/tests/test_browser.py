"""The client list and client page in real Chromium."""

from stillhere.lib.browser import ARTIFACTS, BrowserTestCase, skip_without_chromium
from stillhere.test import PASSWORD, make_client, make_member

skip_without_chromium()


class ClientPagesBrowserTestCase(BrowserTestCase):
    def setUp(self):
        from stillhere.accounts.models import Practice

        practice = Practice.objects.create(name="Riverside Practice", slug="riverside", timezone="Europe/London")
        self.alice = make_member(practice, "alice", "clinician")
        bob = make_member(practice, "bob", "clinician")
        self.ana = make_client(practice, self.alice, "r-001", "Ana", "Abbott")
        make_client(practice, bob, "r-002", "Ben", "Baker")
        self.page = self.browser.new_page()

    def tearDown(self):
        self.page.close()

    def test_a_clinician_signs_in_with_the_keyboard_and_opens_a_client(self):
        page = self.page
        page.goto(self.live_server_url + "/")
        page.get_by_label("Username").fill("alice")
        page.get_by_label("Password").fill(PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url(self.live_server_url + "/")
        self.assertEqual(page.get_by_role("heading", level=1).inner_text().strip(), "Needs attention")
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Clients").click()
        page.wait_for_url(self.live_server_url + "/clients/")
        self.assertTrue(page.get_by_role("link", name="Ana Abbott").is_visible())
        self.assertEqual(page.get_by_text("Ben Baker").count(), 0)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "client-list.png"), full_page=True)

        page.get_by_role("link", name="Ana Abbott").click()
        page.wait_for_url(f"**/clients/{self.ana.code}/")
        self.assertEqual(page.get_by_role("heading", level=1).inner_text().strip(), "Ana Abbott")
        self.assertTrue(page.get_by_text("No-show").is_visible())
        page.set_viewport_size({"width": 390, "height": 844})  # phone width
        page.screenshot(path=str(ARTIFACTS / "client-page-phone.png"), full_page=True)
