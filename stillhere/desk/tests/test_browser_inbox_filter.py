"""A clinical director at a group practice, in Chromium: filters the inbox by
clinician and by kind (htmx, and the address says what is shown, never a
client), marks a "talk about it at the next session" item raised, and sees
the counts follow. Screenshots at 1280 and 390 px in test-artifacts/desk/."""

from .browser import ARTIFACTS, TODAY, StoryBrowserTestCase, at


class DirectorFilterTestCase(StoryBrowserTestCase):
    def test_a_director_filters_the_inbox_and_marks_an_item_raised(self):
        from stillhere.accounts.models import Membership
        from stillhere.desk.models import RaisedMark
        from stillhere.test import make_client, make_member

        # A second clinician with a client of their own who has gone quiet.
        bob = make_member(self.practice, "bob", Membership.Role.CLINICIAN, first_name="Bob")
        make_client(self.practice, bob, "b-001", "Bella", "Brook")
        self.day(at(TODAY, 11))
        self.sign_in("dora")
        page = self.page
        self.assertTrue(page.locator("li.inbox-card", has_text="Bella Brook").count())
        self.check_accessibility("inbox with filters")

        # Alice's clients only, then only what to talk about at the next session.
        page.get_by_label("Clinician").select_option(label="Alice@Example.Org")
        page.get_by_role("button", name="Show").click()
        page.wait_for_url("**/?clinician=*")
        page.locator("#inbox-body").wait_for()
        self.assertEqual(page.locator("li.inbox-card", has_text="Bella Brook").count(), 0)
        page.get_by_label("What").select_option("talk")
        page.get_by_role("button", name="Show").click()
        page.wait_for_url("**kind=talk*")
        self.assertNotIn("Bella", page.url)
        talk = page.locator("li.inbox-item", has_text="Raised it at a session").first
        talk.wait_for()
        before = page.locator("#inbox-summary").inner_text()
        n = page.locator("li.inbox-card").count()
        self.assertTrue(before.startswith(f"{n} client"), before)
        page.set_viewport_size({"width": 1280, "height": 900})
        page.screenshot(path=str(ARTIFACTS / "inbox-director-filtered.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(ARTIFACTS / "inbox-director-filtered-phone.png"), full_page=True)
        page.set_viewport_size({"width": 1100, "height": 900})

        talk.get_by_role("button", name="Raised it at a session").click()
        page.locator("li.inbox-item.done", has_text="marked raised").wait_for()
        self.assertEqual(RaisedMark.objects.count(), 1)
        # The counts followed without a reload: one client fewer to talk with.
        page.wait_for_function("b => document.querySelector('#inbox-summary').innerText !== b", arg=before)
        after = page.locator("#inbox-summary").inner_text()
        self.assertTrue(after.startswith(f"{n - 1} client") if n > 1 else after == "Nothing left here.", after)
        page.set_viewport_size({"width": 1280, "height": 900})
        page.screenshot(path=str(ARTIFACTS / "inbox-director-raised.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(ARTIFACTS / "inbox-director-raised-phone.png"), full_page=True)
        page.set_viewport_size({"width": 1100, "height": 900})

        # Reloaded, the filter holds and the raised item stays away.
        page.reload()
        self.assertEqual(page.get_by_label("What").input_value(), "talk")
        self.assertEqual(page.locator("li.inbox-card").count(), n - 1)
        self.check_accessibility("filtered inbox after marking")
