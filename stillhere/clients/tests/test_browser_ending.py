"""Recording a planned ending on the client page, in Chromium at phone width."""

from stillhere.desk.tests.browser import TODAY, StoryBrowserTestCase, at


class EndingBrowserTestCase(StoryBrowserTestCase):
    def test_a_clinician_records_a_planned_ending_on_a_phone(self):
        from stillhere.clients.models import Client, Episode
        from stillhere.outreach.models import Sequence

        self.day(at(TODAY, 11))
        dana = Client.objects.get(external_id="story-letter")
        episode = Episode.objects.filter(client=dana, ended=None).get()
        self.assertTrue(Sequence.objects.filter(episode=episode, status="running").exists())
        self.sign_in()
        page = self.page
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{self.live_server_url}/clients/{dana.code}/")
        page.get_by_role("link", name="Record how therapy ended").click()
        page.wait_for_url(f"**/clients/{dana.code}/episodes/{episode.pk}/ending/")
        self.check_accessibility("ending form")
        page.set_viewport_size({"width": 390, "height": 844})
        # Nothing wider than the phone: the form must not scroll sideways.
        self.assertLessEqual(page.evaluate("document.documentElement.scrollWidth"), 390)
        page.get_by_role("group", name="How did it end?").get_by_label("Planned ending").check()
        page.get_by_label("On which day").fill(f"{TODAY:%Y-%m-%d}")
        page.get_by_label("A note for the record (optional)").fill("We agreed to finish here.")
        self.shot("ending-form-phone")
        page.get_by_role("button", name="Record the ending").click()
        page.wait_for_url(f"**/clients/{dana.code}/")
        self.assertTrue(page.get_by_text("Recorded: planned ending on 13 Mar 2026").is_visible())
        self.assertEqual(page.get_by_role("link", name="Record how therapy ended").count(), 0)
        self.check_accessibility("client page after the ending")
        episode.refresh_from_db()
        self.assertEqual((episode.state, episode.end_reason, episode.ended), ("ended_planned", "planned", TODAY))
        self.assertFalse(Sequence.objects.filter(episode=episode, status="running").exists())
