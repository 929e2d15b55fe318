"""The four stories of DESIGN.md walked through the browser, day by day: the
item appears in the inbox, the clinician acts there (htmx, no reload), and
the episode's state moves on. Each page is checked with axe-core, and
screenshots go to test-artifacts/desk/."""

from datetime import date, timedelta

from django.test import override_settings

from stillhere.outreach.models import OutreachStep
from stillhere.outreach.tests.helpers import SMTP_SETTINGS, Mailbox, sms_settings, start_provider

from .browser import ARTIFACTS, TODAY, StoryBrowserTestCase, at


class StoriesInTheBrowserTestCase(StoryBrowserTestCase):
    def log_call(self, name, outcome_label):
        item = self.item(name)
        item.get_by_text(outcome_label, exact=True).check()
        item.get_by_role("button", name="Log the call").click()
        self.page.get_by_text(f"{name.split()[0]}").first.wait_for()
        done = self.page.locator("li.inbox-item.done", has_text=name)
        done.wait_for()
        return done

    def approve_in_inbox(self, name):
        self.item(name).get_by_role("button", name="Approve").click()
        done = self.page.locator("li.inbox-item.done", has_text=name)
        done.wait_for()
        return done

    def test_too_much_too_soon(self):
        """A hard session, a falling rating, a no-show; after a few days a warm
        voicemail; weeks later she calls back and check-ins become more frequent."""
        priya = "Priya Natarajan"
        self.day(at(TODAY, 17))
        self.sign_in()
        page = self.inbox()
        line = self.item(priya)
        self.assertIn("Give them until Sun 15 Mar to get in touch", line.inner_text())
        self.check_accessibility("inbox, waiting period")
        self.shot("story4-1-waiting")

        self.day(at(TODAY + timedelta(days=2), 13))  # the waiting period is over: a call to make
        self.sign_in()
        self.inbox()
        line = self.item(priya)
        self.assertIn("A call to make", line.inner_text())
        line.get_by_text("Read the script").click()
        script = line.locator("pre.message").inner_text()
        self.assertNotIn("therapy", script.lower())
        self.check_accessibility("inbox, call to make")
        self.shot("story4-2-call")
        done = self.log_call(priya, "Voicemail left")
        self.assertIn("call logged (voicemail left)", done.inner_text())
        self.assertEqual(self.state("story-too-much"), "reaching_out")
        self.assertEqual(page.url, self.live_server_url + "/")  # no page load
        self.check_accessibility("inbox after an action")

        # Weeks later she rings back: the clinician records it and asks for
        # check-ins every two sessions.
        self.day(at(TODAY + timedelta(days=24), 10))
        self.sign_in()
        self.page.goto(self.live_server_url + "/clients/")
        self.page.get_by_role("link", name=priya).click()
        self.page.get_by_text("Change the state by hand").click()
        self.page.get_by_label("New state").select_option("re_engaged")
        self.page.get_by_label("Why (kept with the change)").fill("She rang back and booked; go gently.")
        self.page.get_by_role("button", name="Save", exact=True).click()
        self.page.get_by_text("State updated").wait_for()
        self.assertEqual(self.state("story-too-much"), "re_engaged")
        self.page.get_by_label("Remind me to check in with this client every").select_option("2")
        # Wait for the saved panel to come back: htmx posts in the background,
        # so "network idle" can come before the request has even started.
        with self.page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/checkins/")):
            self.page.get_by_role("button", name="Save interval").click()
        from stillhere.measures.models import CheckinInterval

        self.assertEqual(CheckinInterval.objects.get(client__external_id="story-too-much").every_sessions, 2)
        self.check_accessibility("client page")
        self.shot("story4-3-client-page")
        self.shot("story4-3-client-page-phone", phone=True)

    def test_the_quiet_goodbye(self):
        """Years of fortnightly sessions, a cancel and no rebooking: the lapse
        is noticed, a voicemail that assumes nothing, a letter, a closing
        letter with the door open, and his thank-you card logged as a reply."""
        marcus = "Marcus Ellery"
        self.day(at(TODAY, 11))
        self.sign_in()
        self.inbox()
        line = self.item(marcus)
        self.assertIn("A call to make", line.inner_text())
        from stillhere.engagement.models import StateChange

        lapse = StateChange.objects.get(episode__client__external_id="story-quiet", new_state="lapsed")
        self.assertEqual(lapse.reason, "cancel_no_rebook")
        line.get_by_text("Read the script").click()
        self.assertNotIn("missed", line.locator("pre.message").inner_text().lower())
        self.shot("story2-1-lapse")
        self.log_call(marcus, "Voicemail left")
        step = OutreachStep.objects.get(client__external_id="story-quiet", key="call")
        self.assertEqual((step.status, step.outcome), ("logged", "voicemail"))
        self.assertEqual(self.state("story-quiet"), "reaching_out")
        self.inbox()
        self.assertEqual(self.page.locator("li.inbox-item", has_text="A call to make").filter(
            has_text=marcus).count(), 0)

        for draft_day, key in ((10, "letter"), (24, "closing")):  # no email or text consent: letters
            self.day(at(TODAY + timedelta(days=draft_day), 11))
            self.sign_in()
            self.inbox()
            self.assertIn("A message is ready for your approval", self.item(marcus).inner_text())
            self.approve_in_inbox(marcus)
            self.day(at(TODAY + timedelta(days=draft_day + 1), 11))
            self.sign_in()
            self.inbox()
            letters = self.page.get_by_role("region", name="Letters to print and post")
            letters.get_by_role("button", name="Mark the batch posted").click()
            self.page.get_by_text("1 letter marked posted").wait_for()
            self.assertEqual(OutreachStep.objects.get(client__external_id="story-quiet", key=key).status, "posted")
        self.assertEqual(self.state("story-quiet"), "ended_no_goodbye")

        # A thank-you card arrives by post: logged on his page, the door stays open.
        self.find("Ellery", which="current")
        self.assertEqual(self.page.get_by_role("link", name=marcus).count(), 0)  # no open episode now
        from stillhere.clients.models import Client

        self.page.goto(f"{self.live_server_url}/clients/{Client.objects.get(external_id='story-quiet').code}/")
        self.page.get_by_text("Log a reply that came another way").click()
        self.page.get_by_label("Letter or card").check()
        self.page.get_by_label("What they said (optional)").fill("Thank you for everything; all is well.")
        self.page.get_by_role("button", name="Log the reply").click()
        self.page.get_by_text("Reply logged").wait_for()
        self.page.wait_for_load_state("load")  # a long history: let the whole page arrive
        self.assertEqual(self.page.get_by_text("Thank you for everything; all is well.").count(), 1)
        self.assertEqual(self.state("story-quiet"), "ended_no_goodbye")
        self.check_accessibility("client page after the ending")
        self.shot("story2-2-ended-with-reply")

    def test_the_letter_that_opened_a_door(self):
        """A no-show after weeks of work: a call, an email approved in the
        inbox, a letter written in the composer, printed and posted."""
        dana = "Dana Whitfield"
        with Mailbox() as box, override_settings(**SMTP_SETTINGS, EMAIL_PORT=box.port):
            self.day(at(TODAY, 11))
            self.sign_in()
            self.inbox()
            self.assertIn("A call to make", self.item(dana).inner_text())
            self.log_call(dana, "No answer")

            self.day(at(TODAY + timedelta(days=3), 11))   # the email is drafted a day ahead
            self.sign_in()
            self.inbox()
            line = self.item(dana)
            self.assertIn("A message is ready for your approval", line.inner_text())
            self.check_accessibility("inbox, draft to approve")
            self.shot("story1-1-draft")
            self.approve_in_inbox(dana)
            self.day(at(TODAY + timedelta(days=4), 11))
            self.assertEqual(len(box.messages), 1)

            self.day(at(TODAY + timedelta(days=10), 11))  # the letter's draft
            self.sign_in()
            self.inbox()
            self.item(dana).get_by_role("link", name="Edit first").click()
            self.page.get_by_role("heading", name="Letter to Dana Whitfield").wait_for()
            body = self.page.get_by_label("Message")
            body.fill(body.input_value().replace("Dear Dana", "Dear Dana,\n\nI hope this finds you well"))
            self.page.locator("#check").get_by_text("Seen through the envelope window").wait_for()
            self.check_accessibility("composer, letter")
            self.shot("story1-2-composer")
            with self.page.expect_popup() as popup:
                self.page.get_by_role("button", name="Preview the letter (PDF)").click()
            popup.value.close()
            self.page.get_by_role("button", name="Approve", exact=True).click()
            self.page.wait_for_url(self.live_server_url + "/")
            self.tick(at(TODAY + timedelta(days=11), 11))

            self.inbox()
            letters = self.page.get_by_role("region", name="Letters to print and post")
            self.assertIn(dana, letters.inner_text())
            self.shot("story1-3-letters")
            letters.get_by_role("button", name="Mark the batch posted").click()
            self.page.get_by_text("1 letter marked posted").wait_for()
            self.check_accessibility("inbox after posting letters")
            letter = OutreachStep.objects.get(client__external_id="story-letter", key="letter")
            self.assertEqual(letter.status, "posted")
            self.assertIn("I hope this finds you well", letter.body)
            self.assertEqual(self.state("story-letter"), "reaching_out")

            # No reply: the closing message wishes her well, and the episode
            # ends without goodbye, door open.
            self.day(at(TODAY + timedelta(days=24), 11))
            self.sign_in()
            self.inbox()
            self.approve_in_inbox(dana)
            self.day(at(TODAY + timedelta(days=25), 11))  # a letter again: printed and posted
            self.sign_in()
            self.inbox()
            self.page.get_by_role("region", name="Letters to print and post").get_by_role(
                "button", name="Mark the batch posted").click()
            self.page.get_by_text("1 letter marked posted").wait_for()
        self.assertEqual(self.state("story-letter"), "ended_no_goodbye")

        # Two years later she books again: the director imports the practice's
        # export, and a new episode starts, linked to the old one.
        self.day(at(date(2028, 3, 1), 10), tick=False)
        csv_file = ARTIFACTS / "story1-return.csv"
        csv_file.write_text("appointment_id,client_id,clinician,start,status,booked_at\n"
                            "ret-1,story-letter,alice@example.org,2028-03-06T10:00:00+00:00,scheduled,"
                            "2028-02-28T09:00:00+00:00\n")
        self.sign_in("dora")
        self.page.get_by_role("link", name="Import").click()
        self.page.get_by_label("Appointments (CSV)").set_input_files(str(csv_file))
        self.page.get_by_role("group", name="CSV export").get_by_role("button", name="Upload and preview").click()
        self.page.wait_for_url("**/import/*/")
        self.page.get_by_role("button", name="Import", exact=True).click()
        self.page.get_by_text("Imported.").wait_for(timeout=30000)
        self.day(at(date(2028, 3, 1), 11))
        self.assertEqual(self.state("story-letter"), "returned")
        self.sign_in()
        self.find("Whitfield")
        self.page.get_by_role("link", name=dana).click()
        self.page.get_by_text("returned after an earlier episode (Jan 2026)").wait_for()
        self.shot("story1-4-returned")

    def test_the_first_session_that_went_wrong(self):
        """A late intake, a disclosure at the end, a no-show: a voicemail and
        texts go unanswered, the episode closes with the door open, and the
        reflection asks about pacing and presence."""
        jordan = "Jordan Reyes"
        srv = start_provider()
        try:
            with override_settings(**sms_settings(srv.url)):
                self.day(at(TODAY, 16))  # the wait ends at 15:00, three days after the no-show
                self.sign_in()
                self.inbox()
                self.assertIn("A call to make", self.item(jordan).inner_text())
                self.log_call(jordan, "Voicemail left")

                self.day(at(TODAY + timedelta(days=3), 16))
                self.sign_in()
                self.inbox()
                self.item(jordan).get_by_role("link", name="Edit first").click()
                self.page.get_by_text("of 320 characters").wait_for()
                self.assertRegex(self.page.locator("#meter").inner_text(), r"\d+ of 320 characters · \d texts?")
                # The clinician writes a shorter text and watches it fit in one.
                box = self.page.get_by_label("Message")
                box.fill("")
                box.press_sequentially("Hi Jordan, it's Alice. No pressure at all; the door stays open "
                                       "whenever you're ready. Reply to this text.", delay=5)
                self.page.wait_for_function("() => document.querySelector('#meter').innerText.includes('1 text')")
                self.assertIn("The tone check found nothing to change", self.page.locator("#check").inner_text())
                self.shot("story3-1-text-composer", phone=True)
                self.page.get_by_role("button", name="Approve", exact=True).click()
                self.page.wait_for_url(self.live_server_url + "/")
                self.day(at(TODAY + timedelta(days=4), 16))

                for days in (17, 18, 24, 25):   # the closing text, approved in the inbox
                    self.day(at(TODAY + timedelta(days=days), 16))
                    if OutreachStep.objects.filter(client__external_id="story-first", key="closing",
                                                   status="awaiting_approval").exists():
                        self.sign_in()
                        self.inbox()
                        self.approve_in_inbox(jordan)
        finally:
            srv.shutdown()
        self.assertEqual(len(srv.requests), 2)
        self.assertEqual(self.state("story-first"), "ended_no_goodbye")

        self.sign_in()
        self.page.get_by_role("navigation", name="Main").get_by_role("link", name="Reflection").click()
        self.page.get_by_role("link", name="Start a review of Jordan Reyes").click()
        self.page.get_by_text("They arrived 30 minutes late in week 1").wait_for()
        self.page.get_by_label("What would you do differently next time?").fill(
            "Slow the end of a shortened first session; leave time to settle.")
        self.page.get_by_text("I did not notice a rupture").check()
        self.check_accessibility("reflection")
        self.page.get_by_role("button", name="Save as finished").click()
        self.page.get_by_text("Only you can see this review").wait_for()
        self.shot("story3-2-reflection")
        from stillhere.reflection.models import Reflection

        self.assertTrue(Reflection.objects.get(episode__client__external_id="story-first").complete)

        # A de-identified summary, read before sharing, then read by the consultant.
        self.page.get_by_role("button", name="Make a de-identified summary").click()
        summary = self.page.get_by_label("Summary to share")
        text = summary.input_value()
        self.assertIn("30 min late", text)
        for secret in ("Jordan", "Reyes", "Willow Way", "04021", "+15555550100"):
            self.assertNotIn(secret, text)
        self.check_accessibility("summary before sharing")
        # Sharing needs the author's word that they read it and checked the marked words.
        self.page.get_by_label("I have read the summary and checked the marked words").check()
        self.page.get_by_role("button", name="Share with consultants").click()
        self.page.get_by_text("Shared with the practice's consultants").wait_for()
        self.sign_in("cora")
        self.page.get_by_role("navigation", name="Main").get_by_role("link", name="Consultation").click()
        self.page.get_by_role("link", name="Case summary").first.click()
        self.page.get_by_text("Slow the end of a shortened first session").wait_for()
        self.check_accessibility("consultation summary")
        self.shot("story3-3-consultation")
