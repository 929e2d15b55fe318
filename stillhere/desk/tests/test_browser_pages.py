"""Every page a member reaches from the navigation, in Chromium, checked
with axe-core at desktop and phone width: no serious or critical problems.
Keyboard use is checked on the inbox: an action can be reached and done
with Tab and Enter alone."""

from datetime import timedelta

from .browser import TODAY, StoryBrowserTestCase, at


class PagesTestCase(StoryBrowserTestCase):
    def visit(self, path, heading):
        self.page.goto(self.live_server_url + path)
        self.assertTrue(self.page.get_by_role("heading", level=1).inner_text().strip().startswith(heading))
        self.check_accessibility(path)

    def test_every_page_a_clinician_uses_is_accessible(self):
        from stillhere.clients.models import Client
        from stillhere.outreach.models import OutreachStep

        self.day(at(TODAY, 11))
        self.day(at(TODAY + timedelta(days=3), 11))  # Dana's email is drafted by now
        self.sign_in()
        self.page.goto(self.live_server_url + "/login/")
        self.check_accessibility("login")
        self.visit("/", "Needs attention")
        self.shot("inbox")
        self.shot("inbox-phone", phone=True)
        self.visit("/clients/", "Clients in therapy")
        dana = Client.objects.get(external_id="story-letter")
        self.visit(f"/clients/{dana.code}/", "Dana Whitfield")
        self.visit("/measures/checkins/", "Check-ins due")
        self.visit("/reflection/", "Reflection")
        step = OutreachStep.objects.filter(client=dana, status="awaiting_approval").first()
        self.visit(f"/compose/{step.code}/", "Email to Dana Whitfield")
        self.shot("composer-phone", phone=True)
        self.visit(f"/outreach/steps/{step.code}/", "Message by email")

    def test_the_inbox_works_with_the_keyboard_alone(self):
        from stillhere.outreach.models import OutreachStep

        self.day(at(TODAY, 11))
        self.sign_in()
        self.page.goto(self.live_server_url + "/")
        radio = self.item("Marcus Ellery").get_by_label("No answer")
        radio.focus()
        self.page.keyboard.press("Space")
        for _ in range(3):  # to the note, then the button
            self.page.keyboard.press("Tab")
            if self.page.evaluate("document.activeElement.tagName") == "BUTTON":
                break
        self.assertEqual(self.page.evaluate("document.activeElement.innerText"), "Log the call")
        self.page.keyboard.press("Enter")
        self.page.locator("li.inbox-item.done", has_text="Marcus Ellery").wait_for()
        self.assertEqual(OutreachStep.objects.get(client__external_id="story-quiet", key="call").outcome, "no_answer")

    def test_the_practice_view_and_consultation_pages_are_accessible(self):
        from stillhere.simulator.generate import simulate
        from stillhere.simulator.load import load_simulation

        load_simulation(simulate(300, seed=5, as_of=TODAY, n_clinicians=3), slug="riverside")
        self.day(at(TODAY, 11))
        self.sign_in("dora")
        self.visit("/practice/?from=2024-03-13", "The practice")
        self.assertEqual(self.page.locator("svg.chart").count(), 2)  # dropout bars and the survival curve
        self.shot("practice-view")
        self.shot("practice-view-phone", phone=True)
        self.sign_in("cora")
        self.visit("/", "Consultation")
        self.visit("/consultation/", "Consultation")

    def test_the_accessibility_check_does_find_problems(self):
        """The check is not a formality: a page with an unlabelled field and
        a low-contrast line fails it."""
        self.page.set_content('<html lang="en"><body><main><h1>x</h1><input type="text">'
                              '<p style="color:#ccc;background:#fff">faint</p></main></body></html>')
        with self.assertRaises(AssertionError) as failed:
            self.check_accessibility("a bad page")
        self.assertIn("color-contrast", str(failed.exception))
        self.assertIn("label", str(failed.exception))
