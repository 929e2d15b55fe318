"""Walked in Chromium against a live server with production settings:

- the demo's loop: a clinician approves, the tick "sends" into the local
  outbox, "What went out" shows the email with its short link on the
  practice's public address, the client opens it on a phone and books;
- a director's inbox after a safety check went unresolved past the hour:
  the "Unresolved safety check" item, the number to call as a tel: link and
  the emergency contact the client agreed to.
Screenshots at 1280 and 390 px; axe finds nothing serious.
"""

from django.test import override_settings

from stillhere.channels.outbox import EMAIL_BACKEND
from stillhere.lib.browser import BrowserTestCase, skip_without_chromium
from stillhere.outreach import actions
from stillhere.outreach.models import OutboxMessage, OutreachSettings, Response, SafetyEscalation
from stillhere.test import BaseTestCase

from .browser import ARTIFACTS, no_serious_accessibility_problems, shots, sign_in

from .helpers import DAY1, MISSED_AT, consent_everything, datetime, miss, td, tick, tz

skip_without_chromium()


class OutboxAndSafetyInBrowserTest(BrowserTestCase):
    def setUp(self):
        BaseTestCase.setUpTestData.__func__(type(self))
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.riverside.name = "Riverside Therapy Centre"
        self.riverside.save()
        OutreachSettings.objects.create(practice=self.riverside, practice_phone="01632 960 000",
                                        public_url=self.live_server_url, safety_escalate_email=False,
                                        crisis_line="If you are in danger now, call 999, or 111 for urgent help.")
        consent_everything(self.ana)
        self.context = self.browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()

    def tearDown(self):
        self.context.close()

    def sign_in(self, username):
        sign_in(self, self.page, username)

    def look(self, name):
        no_serious_accessibility_problems(self, self.page)
        shots(self.page, name)

    @override_settings(EMAIL_BACKEND=EMAIL_BACKEND, SMS_PROVIDER="outbox")
    def test_what_went_out_and_the_client_books_from_it_on_a_phone(self):
        miss(self.ana)
        tick(DAY1)
        tick(DAY1 + td(days=4))
        from stillhere.outreach.models import OutreachStep

        actions.approve(self.alice, OutreachStep.objects.get(key="message"), DAY1 + td(days=4))
        tick(DAY1 + td(days=4))
        self.assertEqual(OutboxMessage.objects.filter(channel="email").count(), 1)

        self.sign_in("alice")
        self.page.get_by_role("navigation", name="Main").get_by_role("link", name="What went out").click()
        self.page.get_by_role("heading", name="Email to r-001@example.org").wait_for()
        text = self.page.inner_text("main")
        self.assertIn('from "Alice, Riverside Centre" <', text)
        self.assertNotIn("Therapy", text)
        self.assertNotIn("127.0.0.1:8000", text)
        self.look("outbox")
        link = self.page.get_by_role("link", name=self.live_server_url + "/l/").get_attribute("href")
        self.assertRegex(link, r"/l/[2-9a-z]{9}/$")

        phone = self.browser.new_context(viewport={"width": 390, "height": 800}, is_mobile=True)
        try:
            client = phone.new_page()
            client.goto(link)
            client.get_by_role("heading", name="Hello Ana").wait_for()
            client.get_by_label("I'd like to book", exact=True).check()
            client.get_by_role("button", name="Send my answer").click()
            client.get_by_role("heading", name="Thank you, Ana").wait_for()
            client.screenshot(path=str(ARTIFACTS / "short-link-thanks-phone-390.png"), full_page=True)
        finally:
            phone.close()
        self.assertEqual(Response.objects.get(client=self.ana).choice, "book")
        # The clinician was told, through the outbox too: a link, no details.
        note = next(m for m in OutboxMessage.objects.all() if m.subject == "A client answered your message")
        self.assertNotIn("Ana", note.body)

    def test_the_director_sees_an_unresolved_safety_check_with_whom_to_call(self):
        self.ana.safety_concern = True
        self.ana.emergency_name, self.ana.emergency_relationship = "Sam Abbott", "sister"
        self.ana.emergency_phone, self.ana.emergency_consent = "07700 900 123", True
        self.ana.save()
        miss(self.ana, safety_check=True)
        tick(MISSED_AT + td(hours=1))
        tick(datetime(2026, 1, 12, 17, 5, tzinfo=tz.utc))
        self.assertEqual(SafetyEscalation.objects.count(), 1)

        self.sign_in("dora")
        item = self.page.locator("li.inbox-item", has_text="Unresolved safety check")
        item.wait_for()
        text = item.inner_text()
        self.assertIn("Nobody had logged speaking with them by 17:00", text)
        self.assertIn("Sam Abbott (sister)", text)
        self.assertEqual(item.get_by_role("link", name="07700 900 123").get_attribute("href"), "tel:07700900123")
        self.look("inbox-unresolved-safety")

        self.sign_in("alice")
        call = self.page.locator("li.inbox-item", has_text="A call to make")
        call.get_by_text("Read the script").click()
        script = call.locator("pre.message").inner_text()
        self.assertIn("call 999, or 111", script)
        self.assertIn("Riverside Centre", script)
        self.assertEqual(call.get_by_role("link", name="Call +15555550100").get_attribute("href"), "tel:+15555550100")
        self.look("inbox-safety-call")
