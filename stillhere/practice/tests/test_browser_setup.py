"""A practice set up and run from the web alone, in real Chromium against a
live server with production settings (DEBUG off, CSRF on):

1. from an empty database a director creates the practice and her account,
   sets the name clients' households see and the outreach plan, and invites
   a clinician, whose invitation arrives on a real SMTP server on loopback;
2. the clinician sets her password from the emailed link, adds a client
   (Zoë), books three sessions by hand, records one attended and one
   no-show, and finds Zoë in her Needs attention inbox;
3. search finds "Zoë" by "zoe", and an ended client by surname;
4. the director opens the practice report as a PDF.

Every page is photographed at 1280 and 390 px and checked with axe-core.
"""

import io
import json
import re
from datetime import date, timedelta
from email import message_from_bytes
from email.policy import default

from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from stillhere.desk.tests.browser import AXE
from stillhere.lib.browser import ARTIFACTS as ALL_ARTIFACTS, BrowserTestCase, skip_without_chromium
from stillhere.outreach.tests.helpers import SMTP_SETTINGS, Mailbox
from stillhere.security.testing import pass_second_step

skip_without_chromium()
ARTIFACTS = ALL_ARTIFACTS / "practice"
DIRECTOR_PASSWORD = "harbour lights at dusk"
CLINICIAN_PASSWORD = "a long river at night"


class PracticeFromTheWebTest(BrowserTestCase):
    def setUp(self):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.context = self.browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.n = 0

    def tearDown(self):
        self.context.close()

    def look(self, name):
        """Screenshot at both widths, and no serious or critical axe findings at either."""
        self.n += 1
        for width in (1280, 390):
            self.page.set_viewport_size({"width": width, "height": 900})
            self.page.screenshot(path=str(ARTIFACTS / f"{self.n:02d}-{name}-{width}.png"), full_page=True)
            self.page.evaluate(AXE.read_text())  # not a script tag: the CSP refuses inline scripts
            result = self.page.evaluate("axe.run(document, {resultTypes: ['violations']})")
            bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
            self.assertEqual(bad, [], f"{name} at {width}px: " + json.dumps(
                [(v["id"], v["help"], [n["html"][:120] for n in v["nodes"][:2]]) for v in bad]))
        self.page.set_viewport_size({"width": 1280, "height": 900})

    def go(self, path):
        r = self.page.goto(self.live_server_url + path)
        self.assertEqual(r.status, 200, path)
        return self.page

    def sign_in(self, username, password):
        self.context.clear_cookies()
        page = self.go("/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        pass_second_step(page, username)
        page.wait_for_url(self.live_server_url + "/")

    def test_a_director_sets_up_a_practice_and_a_clinician_runs_her_day(self):
        self.assertFalse(settings.DEBUG)
        page = self.page
        today = timezone.localdate()

        # --- 1. the director, from an empty database -----------------------
        self.go("/login/")
        self.look("sign-in-empty-database")
        page.get_by_role("link", name="Set up your practice").click()
        page.get_by_label("Practice name").fill("Harbour Practice")
        page.get_by_label("Time zone").select_option("Europe/London")
        page.get_by_label("Your name").fill("Dee Director")
        page.get_by_label("Your email address").fill("dee@harbour.example")
        page.get_by_label("Choose a password").fill("short")
        self.look("first-run")
        page.get_by_role("button", name="Create the practice").click()
        self.assertIn("too short", page.locator("main").inner_text())
        page.get_by_label("Choose a password").fill(DIRECTOR_PASSWORD)
        page.get_by_role("button", name="Create the practice").click()
        pass_second_step(page, "dee@harbour.example")  # a director sets up the second step first
        page.wait_for_url("**/settings/practice/")

        page.get_by_label("Name clients' households see").fill("Harbour Therapy")
        page.get_by_role("button", name="Save").click()
        self.assertIn("must not say “therapy”", page.locator("main").inner_text())
        self.look("practice-settings-error")
        page.get_by_label("Name clients' households see").fill("Harbour")
        page.get_by_label("Return address on letters").fill("Harbour\n4 Quay Street\nPortsea")
        page.get_by_label("Practice phone number").fill("01632 960 111")
        page.get_by_label("How clients can reach you").fill("call or text 01632 960 111")
        page.get_by_label("Public web address").fill(self.live_server_url)
        page.get_by_label("Crisis line").fill("If you are in danger now, call 999, or 111 for urgent help.")
        page.get_by_role("button", name="Save").click()
        self.assertIn("Practice settings saved", page.locator("main").inner_text())
        self.look("practice-settings")

        self.go("/settings/outreach/plan/")
        page.locator("[name=step-1-days]").fill("3")  # the message three days in, not four
        self.look("outreach-plan")
        page.get_by_role("button", name="Save the plan").click()
        self.assertIn("Outreach plan for the whole practice saved", page.locator("main").inner_text())

        with Mailbox() as box, override_settings(**SMTP_SETTINGS, EMAIL_PORT=box.port):
            self.go("/settings/people/")
            page.get_by_label("Their name").fill("Cleo Clinician")
            page.get_by_label("Their email address").fill("cleo@harbour.example")
            page.get_by_label("Role").select_option("clinician")
            page.get_by_role("button", name="Send the invitation").click()
            self.assertIn("Invitation sent to cleo@harbour.example", page.locator("main").inner_text())
            self.look("people")
        self.assertEqual(len(box.messages), 1)
        self.assertEqual(box.messages[0].rcpt_tos, ["cleo@harbour.example"])
        text = message_from_bytes(box.messages[0].content, policy=default).get_content()
        link = re.search(r"(http://\S+/password/set/\S+/)", text).group(1)
        self.assertIn("works for 3 days", text)

        # --- 2. the clinician ------------------------------------------------
        self.context.clear_cookies()
        page.goto(link)
        page.wait_for_selector("text=Choose a password")
        self.look("set-password")
        page.get_by_label("New password", exact=True).fill(CLINICIAN_PASSWORD)
        page.get_by_label("The same password again").fill(CLINICIAN_PASSWORD)
        page.get_by_role("button", name="Save and sign in").click()
        page.wait_for_url(self.live_server_url + "/")
        self.assertIn("Cleo Clinician", page.locator("header").inner_text())

        self.go("/clients/")
        page.get_by_role("link", name="Add a client").click()
        page.get_by_label("First name").fill("Zoë")
        page.get_by_label("Last name").fill("Marsh")
        page.get_by_label("Email", exact=True).fill("zoe@example.org")
        page.get_by_label("Agreed to email").check()
        page.get_by_label("Mobile or phone").fill("+447700900123")
        page.get_by_label("Agreed to text messages").check()
        page.get_by_label("Avoidant", exact=True).check()
        self.look("add-client")
        page.get_by_role("button", name="Save").click()
        page.wait_for_url("**/book/")
        for offset in (-21, -14, -4):  # typed in afterwards, from her paper diary
            day = today + timedelta(days=offset)
            page.get_by_label("Day").fill(day.isoformat())
            page.get_by_label("Time").fill("10:00")
            page.get_by_role("button", name="Book").click()
            page.wait_for_selector(f"text=Booked {day:%a} {day.day} {day:%b %Y} at 10:00")
        self.look("book-sessions")

        page.get_by_role("link", name="Back to Zoë Marsh").click()

        def session(offset):
            day = today - timedelta(days=offset)
            page.get_by_role("link", name=re.compile(f"{day:%a} {day.day} {day:%b %Y}")).click()

        session(21)
        page.get_by_label("Came", exact=True).check()
        page.get_by_role("button", name="Record").click()
        page.wait_for_selector("text=Recorded: came.")
        session(14)
        page.get_by_label("Came late", exact=True).check()
        page.get_by_label("Minutes late").fill("15")
        self.look("session-outcome")
        page.get_by_role("button", name="Record").click()
        page.wait_for_selector("text=Recorded: came late.")
        session(4)
        page.get_by_label("Did not come (no-show)").check()
        page.get_by_role("button", name="Record").click()
        page.wait_for_selector("text=Recorded: did not come (no-show).")
        self.assertIn("15 min late", page.locator("main").inner_text())
        main = page.locator("main").inner_text()
        self.assertIn("Missed a session", main)
        self.assertIn("Avoidant", main)
        self.look("client-page")

        self.go("/")
        item = page.locator("li.inbox-card", has=page.get_by_role("link", name="Zoë Marsh"))
        self.assertGreaterEqual(item.count(), 1)
        self.assertIn("Missed a session", page.locator("main").inner_text())
        self.look("inbox")

        # --- 3. search ----------------------------------------------------------
        from stillhere.accounts.models import Membership
        from stillhere.clients.models import Client, Episode

        cleo = Membership.objects.get(user__username="cleo@harbour.example")
        dana = Client.objects.create(practice=cleo.practice, external_id="old-17", first_name="Dana",
                                     last_name="Whitfield")
        Episode.objects.create(practice=cleo.practice, client=dana, clinician=cleo, started=date(2024, 1, 8),
                               ended=date(2024, 9, 2), end_reason="no_goodbye", state="ended_no_goodbye")
        page.get_by_role("link", name="Find").click()
        page.get_by_label("Name or record number").fill("zoe")
        page.get_by_role("button", name="Search").click()
        page.wait_for_selector("text=1 found")
        self.assertEqual(page.get_by_role("link", name="Zoë Marsh").count(), 1)
        self.assertNotIn("zoe", page.url)
        self.look("search-zoe")
        page.get_by_label("Name or record number").fill("whitfield")
        page.get_by_label("Who").select_option("ended")
        page.get_by_role("button", name="Search").click()
        page.wait_for_selector("text=Ended 2 Sep 2024: ended without goodbye")
        self.look("search-ended")
        self.go("/today/")
        self.look("today")

        # --- 4. the director's report ------------------------------------------
        self.sign_in("dee@harbour.example", DIRECTOR_PASSWORD)
        self.go("/practice/")
        self.look("practice-view")
        href = page.get_by_role("link", name="Report to print (PDF)").get_attribute("href")
        pdf = self.context.request.get(self.live_server_url + href)
        self.assertEqual(pdf.headers["content-type"], "application/pdf")
        from pypdf import PdfReader

        body = pdf.body()
        (ARTIFACTS / "practice-report.pdf").write_bytes(body)
        cover = PdfReader(io.BytesIO(body)).pages[0].extract_text()
        self.assertIn("Harbour Practice", cover)
        self.assertIn(f"to {today.day} {today:%B %Y}", cover)
        page.emulate_media(media="print")
        page.screenshot(path=str(ARTIFACTS / "practice-view-print.png"), full_page=True)
        self.assertFalse(page.locator("header nav").is_visible())
