"""The client list's pages in real Chromium, at desk and phone width: a
director walks from page to page by the pager (by its links' names, as a
screen reader lists them), the current page is marked, the table fits a
phone, and the search box still finds anyone from any page."""

from datetime import date

from stillhere.lib.browser import ARTIFACTS, BrowserTestCase, skip_without_chromium
from stillhere.security.testing import sign_in
from stillhere.test import make_client, make_member

skip_without_chromium()


class ClientListPagesBrowserTestCase(BrowserTestCase):
    def setUp(self):
        from stillhere.accounts.models import Practice
        from stillhere.clients.models import Client, Episode

        practice = Practice.objects.create(name="Riverside Practice", slug="riverside", timezone="Europe/London")
        alice = make_member(practice, "alice", "clinician")
        make_member(practice, "dora", "director")
        make_client(practice, alice, "r-001", "Ana", "Abbott")
        clients = Client.objects.bulk_create([
            Client(practice=practice, external_id=f"p-{i:03d}", first_name="Client", last_name=f"N{i:03d}")
            for i in range(108)] + [Client(practice=practice, external_id="p-zz", first_name="Zoë",
                                           last_name="Zielińska")])
        Episode.objects.bulk_create([Episode(practice=practice, client=c, clinician=alice, started=date(2026, 1, 5))
                                     for c in clients])
        self.page = self.browser.new_page(viewport={"width": 1280, "height": 900})

    def tearDown(self):
        self.page.close()

    def rows(self):
        return self.page.locator("table tbody tr").count()

    def test_a_director_walks_the_pages_and_finds_a_client_at_both_widths(self):
        page, base = self.page, self.live_server_url
        sign_in(page, base, "dora")
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Clients").click()
        page.wait_for_url(base + "/clients/")
        self.assertEqual(self.rows(), 50)
        self.assertTrue(page.get_by_text("Showing 1–50 of 110 open episodes, by client's last name").is_visible())
        pager = page.get_by_role("navigation", name="Pages of the client list")
        self.assertEqual(pager.get_by_role("link", name="Page 1", exact=True).get_attribute("aria-current"), "page")
        self.assertEqual(pager.get_by_role("link", name="Previous page").count(), 0)
        page.screenshot(path=str(ARTIFACTS / "client-list-page-1.png"), full_page=True)

        pager.get_by_role("link", name="Next page").focus()
        page.keyboard.press("Enter")
        page.wait_for_url(base + "/clients/?page=2")
        self.assertEqual(self.rows(), 50)
        self.assertEqual(pager.get_by_role("link", name="Page 2", exact=True).get_attribute("aria-current"), "page")
        self.assertIsNone(pager.get_by_role("link", name="Page 1", exact=True).get_attribute("aria-current"))
        pager.get_by_role("link", name="Page 3").click()
        page.wait_for_url(base + "/clients/?page=3")
        self.assertEqual(self.rows(), 10)
        self.assertTrue(page.get_by_role("link", name="Zoë Zielińska").is_visible())  # last by name
        self.assertTrue(page.get_by_text("Showing 101–110 of 110").is_visible())
        self.assertEqual(pager.get_by_role("link", name="Next page").count(), 0)

        page.set_viewport_size({"width": 390, "height": 844})  # phone width
        page.goto(base + "/clients/?page=2")
        fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        self.assertTrue(fits, "the list or its pager is wider than a phone")
        box = pager.get_by_role("link", name="Next page").bounding_box()
        self.assertGreaterEqual(min(box["width"], box["height"]), 44)  # a thumb's target
        page.screenshot(path=str(ARTIFACTS / "client-list-page-2-phone.png"), full_page=True)

        page.get_by_label("Find a client, current or ended").fill("abbott")
        page.keyboard.press("Enter")
        page.wait_for_url(base + "/clients/find/")
        self.assertTrue(page.get_by_role("link", name="Ana Abbott").is_visible())
        self.assertNotIn("abbott", page.url)
        page.screenshot(path=str(ARTIFACTS / "client-list-search-phone.png"), full_page=True)
