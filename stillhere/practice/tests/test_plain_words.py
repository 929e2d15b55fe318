"""Walk every page each role can reach and fail on words meant for developers.

The walk starts at the pages in the main navigation, follows every link on
every page it reaches (same site, GET, no downloads, no sign-out) and reads
the visible text only: no tags, scripts, styles or attribute values. The
data are the four stories imported from CSV, scanned and ticked over the
days that put outreach in every state, so step names, skip reasons, style
flags and states all appear somewhere.
"""

import io
import re
import tempfile
from datetime import date, datetime, time, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlparse

import time_machine
from django.core.management import call_command
from django.test import TestCase

from stillhere.accounts.models import Membership, Practice
from stillhere.outreach.models import OutreachSettings
from stillhere.outreach.templating import VARIABLES
from stillhere.test import make_member

TODAY = date(2026, 3, 13)
# Words and shapes a clinician should never read.
DEVELOPER_WORDS = [
    "step 0", "step {", "call by phone call", "message by :", " by :", "skipped: stopped:", "stopped: ",
    "no consented channel", "conflict_avoidant", "people_pleasing", "iso 8601", "yyyy-mm-dd", "strptime",
    "traceback", "exception", "null", "nan", "{{", "}}", "{%", "%y", "%d/%m",
    "awaiting_approval", "reaching_out", "re_engaged", "ended_no_goodbye", "no_show", "late_cancel",
    "safety_check", "first_call", "checking_in", "to_call", "[alerts]", "every_sessions",
]
# Python's own values leaking into a page, as Python spells them: alone, or
# after a colon or an equals sign ("Due: None"), not "None yet." in a sentence.
LITERALS = re.compile(r"(?:^|[:=(]\s*)(None|True|False)\b(?!\s+\w)")
SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")
SKIP = re.compile(r"(/logout/|\.pdf|\.csv|/admin/|/r/|/outreach/inbound|/outreach/status/|#)")
# Text a person typed or a file held is theirs to word: only our words are checked.
ALLOWED_SNAKE = {"settings_file"}


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.text, self.links, self._hide = [], [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template", "textarea"):
            self._hide += 1
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template", "textarea") and self._hide:
            self._hide -= 1

    def handle_data(self, data):
        if not self._hide:
            self.text.append(data)


def developer_words(text: str) -> list[str]:
    low = " " + " ".join(text.replace("\x00", " ").lower().split()) + " "
    found = [w for w in DEVELOPER_WORDS if re.search(r"(?<![\w-])" + re.escape(w) + r"(?![\w])", low)]
    without_addresses = re.sub(r"\S+@\S+|https?://\S+", " ", low)
    found += [m for m in SNAKE.findall(without_addresses) if m not in ALLOWED_SNAKE]
    found += [m for node in text.split("\x00") for m in LITERALS.findall(node.strip())]
    return found


class PlainWordsTestCase(TestCase):
    maxDiff = None

    @classmethod
    def setUpTestData(cls):
        from stillhere.outreach.sending import run_once
        from stillhere.simulator.stories import write_story_csv

        cls.practice = Practice.objects.create(name="Riverside Practice", slug="riverside", timezone="Europe/London")
        OutreachSettings.objects.create(practice=cls.practice, how_to_reach="call or text 01632 960 000",
                                        return_address="R. Practice, 1 High St, Fairhaven")
        cls.members = {role: make_member(cls.practice, name, role) for name, role in (
            ("alice@example.org", Membership.Role.CLINICIAN), ("dora", Membership.Role.DIRECTOR),
            ("adam", Membership.Role.ADMIN), ("cora", Membership.Role.CONSULTANT))}
        with tempfile.TemporaryDirectory() as tmp:
            folder = write_story_csv(Path(tmp), TODAY, "alice@example.org")
            call_command("import", "appointments", str(folder / "appointments.csv"),
                         clients=str(folder / "clients.csv"), measures=str(folder / "measures.csv"),
                         practice="riverside", stdout=io.StringIO(), stderr=io.StringIO())
        for offset in (0, 4, 12, 30):
            when = datetime.combine(TODAY + timedelta(days=offset), time(10), timezone.utc)
            with time_machine.travel(when, tick=False):
                call_command("scan", as_of=when.isoformat(), stdout=io.StringIO(), stderr=io.StringIO())
                run_once(lambda: when)

    def walk(self, member, start_urls, limit=400) -> dict[str, list[str]]:
        self.client.force_login(member.user)
        seen, queue, bad = set(), list(start_urls), {}
        while queue and len(seen) < limit:
            url = queue.pop(0)
            path = urlparse(url).path
            if path in seen or SKIP.search(url):
                continue
            seen.add(path)
            r = self.client.get(path)
            if r.status_code in (301, 302):
                queue.append(r["Location"])
                continue
            if not r["Content-Type"].startswith("text/html"):
                continue
            page = _Page()
            page.feed(r.content.decode())
            words = developer_words("\x00".join(page.text))
            if path.startswith("/outreach/templates/"):
                # The template editor shows the variables a director types, {{ name }}: that syntax is the job.
                words = [w for w in words if w not in ("{{", "}}") and w not in VARIABLES]
            if words:
                bad[path] = sorted(set(words))
            for href in page.links:
                nxt = urljoin(path, href)
                if urlparse(nxt).netloc in ("", "testserver") and urlparse(nxt).path not in seen:
                    queue.append(urlparse(nxt).path)
        self.visited = seen
        return bad

    def test_no_page_any_role_can_reach_shows_developer_words(self):
        starts = ["/", "/today/", "/clients/", "/clients/find/", "/clients/new/", "/measures/checkins/",
                  "/outreach/", "/outreach/letters/", "/import/", "/reflection/", "/practice/", "/settings/",
                  "/words/", "/reflection/consultation/"]
        with time_machine.travel(datetime.combine(TODAY + timedelta(days=30), time(11), timezone.utc), tick=False):
            for role, member in self.members.items():
                with self.subTest(role=role):
                    bad = self.walk(member, starts)
                    self.assertGreater(len(self.visited), 40 if role != "consultant" else 3, self.visited)
                    self.assertEqual(bad, {}, f"{role} reads developer words")

    def test_the_check_itself_catches_what_the_issue_names(self):
        for text in ("Call by phone call · step 0", "Message by : soon", "Noted style: conflict_avoidant",
                     "is not a date and time (expected ISO 8601)", "Skipped: stopped: the client replied"):
            self.assertNotEqual(developer_words(text), [], text)
        self.assertEqual(developer_words("Phone call · first contact. Not sent: outreach stopped because the "
                                         "client replied. Write to r_001@example.org"), [])
