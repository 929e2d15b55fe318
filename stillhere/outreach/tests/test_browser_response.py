"""A client answers from a real browser: the emailed link, opened in
Chromium against a live server with production settings (DEBUG off, the
security middleware and its headers, CSRF on), book / pause / stop.

This is the moment the product exists for; a 403 here loses the client's
answer, so it is walked the way a client walks it.
"""

import re
from email import message_from_bytes
from email.policy import default

from django.conf import settings
from django.core import signing
from django.test import override_settings

from stillhere.lib.browser import BrowserTestCase, skip_without_chromium
from stillhere.outreach import responses
from stillhere.outreach.models import OutreachSettings, OutreachStep, Response
from stillhere.test import BaseTestCase

from .browser import ARTIFACTS, no_serious_accessibility_problems, shots, sign_in

from .helpers import DAY1, SMTP_SETTINGS, Mailbox, consent_everything, miss, td, tick

skip_without_chromium()
LINK_RE = re.compile(r"https?://\S+")


class ClientAnswersInBrowserTest(BrowserTestCase):
    def setUp(self):
        BaseTestCase.setUpTestData.__func__(type(self))
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        OutreachSettings.objects.create(practice=self.riverside, sender_name="Riverside", practice_phone="01632 960 000",
                                        how_to_reach="call or text 01632 960 000")
        consent_everything(self.ana)
        self.episode = self.ana.episodes.get()
        self.context = self.browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()

    def tearDown(self):
        self.context.close()

    def emailed_link(self) -> str:
        """Ana misses, the waiting period passes, Alice approves the email, it
        goes to a real SMTP server; the link is read out of what arrived."""
        miss(self.ana)
        with override_settings(SITE_URL=self.live_server_url):
            tick(DAY1)
            tick(DAY1 + td(days=4))
        OutreachStep.objects.filter(status="awaiting_approval").update(status="approved")
        with Mailbox() as box, override_settings(**SMTP_SETTINGS, EMAIL_PORT=box.port, SITE_URL=self.live_server_url):
            tick(DAY1 + td(days=4))
        self.assertEqual(len(box.messages), 1)
        text = message_from_bytes(box.messages[0].content, policy=default).get_content()
        links = [u.rstrip(".,)") for u in LINK_RE.findall(text) if u.startswith(self.live_server_url)]
        self.assertEqual(len(links), 1, text)
        return links[0]

    def shots(self, name):
        shots(self.page, name)

    def no_serious_accessibility_problems(self):
        no_serious_accessibility_problems(self, self.page)

    def answer(self, label: str, *, helped: str = "", wrap_up: bool = False):
        page = self.page
        link = self.emailed_link()
        reply = page.goto(link)
        self.assertEqual(reply.status, 200)
        self.assertEqual(reply.headers.get("referrer-policy"), "same-origin")
        self.assertEqual(reply.headers.get("x-frame-options"), "DENY")
        self.assertFalse(settings.DEBUG)
        page.get_by_role("heading", name="Hello Ana").wait_for()
        self.no_serious_accessibility_problems()
        self.shots("response-page")
        page.get_by_label(label, exact=True).check()
        if wrap_up:
            page.get_by_label("I'd welcome one final meeting").check()
        if helped:
            page.get_by_label("Is there anything that would have helped?").fill(helped)
        page.get_by_role("button", name="Send my answer").click()
        page.get_by_role("heading", name="Thank you, Ana").wait_for()
        self.assertNotIn("Forbidden", page.content())
        return page

    def clinician_sees(self) -> str:
        sign_in(self, self.page, "alice")
        self.page.goto(f"{self.live_server_url}/clients/{self.ana.code}/")
        return self.page.locator("main").inner_text()

    def outreach_stopped(self):
        self.assertFalse(OutreachStep.objects.filter(episode=self.episode, status__in=(
            "scheduled", "awaiting_approval", "approved")).exists())

    def test_a_client_books_from_the_emailed_link(self):
        page = self.answer("I'd like to book", helped="Evening times would help")
        self.no_serious_accessibility_problems()
        self.shots("response-thanks-book")
        self.assertIn("will be in touch to find a time", page.inner_text("main"))
        resp = Response.objects.get(client=self.ana)
        self.assertEqual((resp.choice, resp.what_would_help), ("book", "Evening times would help"))
        self.episode.refresh_from_db()
        self.assertEqual(self.episode.state, "re_engaged")
        self.outreach_stopped()
        seen = self.clinician_sees()
        self.assertIn("asked to book", seen)
        self.assertIn("Evening times would help", seen)

    def test_a_client_pauses(self):
        self.answer("I'd like to pause")
        self.assertEqual(Response.objects.get(client=self.ana).choice, "pause")
        self.outreach_stopped()
        self.assertIn("Pause for 6 weeks", self.clinician_sees())

    def test_a_client_stops_and_asks_for_a_last_meeting(self):
        page = self.answer("I'd like to stop", wrap_up=True)
        self.assertIn("one final meeting", page.inner_text("main"))
        self.episode.refresh_from_db()
        self.assertEqual((self.episode.state, self.episode.end_reason), ("ended_by_client", "by_client"))
        self.assertTrue(Response.objects.get(client=self.ana).final_session)
        self.outreach_stopped()
        self.assertIn("asked to stop", self.clinician_sees())

    def test_a_second_answer_from_the_same_link_changes_nothing(self):
        page = self.answer("I'd like to book")
        page.go_back()
        page.reload()
        self.assertIn("We already have your answer", page.inner_text("main"))
        self.assertEqual(Response.objects.count(), 1)

    def test_an_expired_link_says_how_to_reach_the_practice(self):
        link = self.emailed_link()
        OutreachSettings.objects.filter(practice=self.riverside).update(link_days=0)
        reply = self.page.goto(link)
        self.assertEqual(reply.status, 400)
        text = self.page.inner_text("main")
        self.assertIn("This link has expired", text)
        self.assertIn("01632 960 000", text)
        self.assertEqual(self.page.get_by_role("link", name="01632 960 000").get_attribute("href"), "tel:01632960000")
        self.no_serious_accessibility_problems()
        self.shots("response-expired")
        self.assertFalse(Response.objects.exists())

    def test_a_tampered_link_is_refused_kindly(self):
        link = self.emailed_link()
        self.assertRegex(link, r"/l/[2-9a-z]{9}/$")  # the emailed link is a short link
        code = link.rstrip("/").rsplit("/", 1)[-1]
        other = "2" if code[-1] != "2" else "3"
        # A short link copied with a character changed, one cut short, and an
        # old-style long link signed with another key.
        for bad in (f"/l/{code[:-1]}{other}/", f"/l/{code[:5]}/",
                    "/r/" + signing.dumps(OutreachStep.objects.get(key="message").code.hex, salt=responses.SALT,
                                          key="not-our-key") + "/"):
            reply = self.page.goto(self.live_server_url + bad)
            self.assertEqual(reply.status, 400)
            text = self.page.inner_text("main")
            self.assertIn("This link is not valid", text)
            # One practice on this server? No: Riverside and Hillside. So no
            # practice's details are guessed at for a link we cannot read.
            self.assertNotIn("Ana", text)
            self.assertIn("reply to the message you received", text)
        self.no_serious_accessibility_problems()
        self.shots("response-tampered")

    def test_staff_error_pages_are_plain_words(self):
        self.clinician_sees()
        reply = self.page.goto(f"{self.live_server_url}/clients/{self.cleo.code}/")  # another practice's client
        self.assertEqual(reply.status, 404)
        self.assertIn("We can't find that page", self.page.inner_text("main"))
        self.shots("staff-404")

    def test_a_client_opens_an_old_link_after_a_planned_ending(self):
        """Issue 17: the emailed link, opened after the clinician ended the
        episode as planned, says kindly that it is closed and offers no choice."""
        from stillhere.engagement.overrides import override_state

        link = self.emailed_link()
        self.episode.refresh_from_db()
        override_state(self.alice, self.episode, "ended_planned", "We agreed to finish")
        reply = self.page.goto(link)
        self.assertEqual(reply.status, 410)
        self.assertEqual(reply.headers.get("cache-control"), "no-store")
        text = self.page.locator("main").inner_text()
        self.assertIn("can no longer be used", text)
        self.assertIn("01632 960 000", text)
        self.assertEqual(self.page.get_by_role("button", name="Send my answer").count(), 0)
        self.no_serious_accessibility_problems()
        self.shots("response-old-link")
        self.episode.refresh_from_db()
        self.assertEqual(self.episode.state, "ended_planned")
        self.assertFalse(Response.objects.exists())
