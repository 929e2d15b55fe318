"""Shared set-up for the desk's browser tests: real Chromium, the four
stories imported from CSV, days driven with `scan --as-of` and the tick,
and an axe-core check of every page the clinician sees."""

import io
import json
import tempfile
from datetime import date, datetime, time, timezone
from pathlib import Path

import time_machine
from django.core.management import call_command

from stillhere.lib.browser import ARTIFACTS as ALL_ARTIFACTS, BrowserTestCase, skip_without_chromium
from stillhere.security.testing import pass_second_step

skip_without_chromium()
ARTIFACTS = ALL_ARTIFACTS / "desk"
AXE = Path(__file__).resolve().parent / "axe" / "axe.min.js"
PASSWORD = "correct horse battery"
TODAY = date(2026, 3, 13)  # a Friday; the stories' sessions all fall on weekdays

def at(d: date, hour: int) -> datetime:
    return datetime.combine(d, time(hour), timezone.utc)  # London is on UTC until late March


class StoryBrowserTestCase(BrowserTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def setUp(self):
        from stillhere.accounts.models import Membership, Practice
        from stillhere.outreach.models import OutreachSettings
        from stillhere.simulator.stories import write_story_csv
        from stillhere.test import make_member

        self.practice = Practice.objects.create(name="Riverside Practice", slug="riverside", timezone="Europe/London")
        OutreachSettings.objects.create(practice=self.practice, how_to_reach="call or text 01632 960 000",
                                        return_address="R. Practice, 1 High St, Fairhaven")
        self.alice = make_member(self.practice, "alice@example.org", Membership.Role.CLINICIAN)
        self.dora = make_member(self.practice, "dora", Membership.Role.DIRECTOR)
        self.cora = make_member(self.practice, "cora", Membership.Role.CONSULTANT)
        with tempfile.TemporaryDirectory() as tmp:
            folder = write_story_csv(Path(tmp), TODAY, "alice@example.org")
            call_command("import", "appointments", str(folder / "appointments.csv"),
                         clients=str(folder / "clients.csv"), measures=str(folder / "measures.csv"),
                         practice="riverside", stdout=io.StringIO(), stderr=io.StringIO())
        self.context = self.browser.new_context(viewport={"width": 1100, "height": 900})
        self.page = self.context.new_page()
        self.travel = None

    def tearDown(self):
        if self.travel:
            self.travel.stop()
        self.context.close()

    # --- days ---

    def day(self, when: datetime, *, tick: bool = True):
        """Move the clock (for this process and the live server) to `when`,
        scan as of then and run the tick, and sign in again (sessions expire)."""
        if self.travel:
            self.travel.stop()
        self.travel = time_machine.travel(when, tick=True)
        self.travel.start()
        call_command("scan", as_of=when.isoformat(), stdout=io.StringIO(), stderr=io.StringIO())
        if tick:
            self.tick(when)

    def tick(self, when=None):
        from django.utils import timezone as tz

        from stillhere.outreach.sending import run_once

        now = when or tz.now()
        run_once(lambda: now)

    def sign_in(self, username="alice@example.org"):
        page = self.page
        self.context.clear_cookies()
        page.goto(self.live_server_url + "/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.keyboard.press("Enter")
        pass_second_step(page, username)
        page.wait_for_url(self.live_server_url + "/")

    def inbox(self):
        self.page.goto(self.live_server_url + "/")
        return self.page

    def find(self, text, which="all"):
        """The search box: its words are posted, never put in the address."""
        self.page.goto(self.live_server_url + "/clients/find/")
        self.page.get_by_label("Name or record number").fill(text)
        self.page.get_by_label("Who").select_option(which)
        self.page.get_by_role("button", name="Search").click()
        self.page.get_by_role("status").wait_for()

    def item(self, name):
        """The client's most urgent line in the inbox: the first reason on
        their card (a client can have two: a call to make and a check-in due, say)."""
        card = self.page.locator("li.inbox-card", has=self.page.get_by_role("link", name=name, exact=True)).first
        return card.locator("li.inbox-item").first

    def shot(self, name, phone=False):
        if phone:
            self.page.set_viewport_size({"width": 390, "height": 844})
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        if phone:
            self.page.set_viewport_size({"width": 1100, "height": 900})

    def state(self, ext):
        from stillhere.clients.models import Episode

        return Episode.objects.filter(client__external_id=ext).order_by("-started").first().state

    # --- accessibility ---

    def check_accessibility(self, label=""):
        """axe-core in the page: no serious or critical violations, at desktop
        and at phone width."""
        for width in (1100, 390):
            self.page.set_viewport_size({"width": width, "height": 900})
            self.page.evaluate(AXE.read_text())  # not a script tag: the CSP refuses inline scripts
            result = self.page.evaluate("axe.run(document, {resultTypes: ['violations']})")
            bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
            detail = json.dumps([{"id": v["id"], "impact": v["impact"], "help": v["help"],
                                  "nodes": [n["html"][:160] for n in v["nodes"][:3]]} for v in bad], indent=1)
            self.assertEqual(bad, [], f"{label or self.page.url} at {width}px:\n{detail}")
        self.page.set_viewport_size({"width": 1100, "height": 900})
