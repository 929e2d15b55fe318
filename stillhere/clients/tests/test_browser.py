"""The client list and client page in real Chromium."""

from stillhere.lib.browser import ARTIFACTS, BrowserTestCase, skip_without_chromium
from stillhere.security.testing import sign_in
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

    def test_the_list_is_in_name_order_and_the_search_finds_by_the_start_of_a_name(self):
        """Names are encrypted at rest: the order and the search come from the
        app (decrypted, folded) and the name index, as a clinician sees them."""
        practice = self.ana.practice
        make_client(practice, self.alice, "r-003", "Zoë", "Whitfield")
        make_client(practice, self.alice, "r-004", "Émile", "Zola")
        make_client(practice, self.alice, "r-005", "Niamh", "Ó Briain")
        page = self.page
        sign_in(page, self.live_server_url, "alice")
        page.goto(self.live_server_url + "/clients/")
        rows = [t.strip() for t in page.locator("tbody th").all_inner_texts()]
        self.assertEqual(rows, ["Ana Abbott", "Niamh Ó Briain", "Zoë Whitfield", "Émile Zola"])
        page.get_by_label("Find a client, current or ended").fill("whitfield ZOE")
        page.keyboard.press("Enter")
        page.wait_for_url(self.live_server_url + "/clients/find/")
        self.assertTrue(page.get_by_role("link", name="Zoë Whitfield").is_visible())
        self.assertEqual(page.get_by_role("link", name="Émile Zola").count(), 0)
        self.assertNotIn("whitfield", page.url.lower())
        page.get_by_label("Name or record number").fill("zo")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        found = page.locator("tbody th a").all_inner_texts()
        self.assertEqual([t.strip() for t in found], ["Zoë Whitfield", "Émile Zola"])
        page.screenshot(path=str(ARTIFACTS / "client-search.png"), full_page=True)
