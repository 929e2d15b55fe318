"""The four stories of DESIGN.md: imported as CSV, scanned day by day with
`stillhere scan --as-of`, reaching the right states at the right times with
the right reasons. (Outreach itself is tested in stillhere/outreach.)"""

import io
import json
import tempfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from django.core.management import call_command
from django.test import TestCase

from stillhere.accounts.models import Membership, Practice
from stillhere.clients.models import Appointment, Client, Episode
from stillhere.engagement.models import StateChange
from stillhere.engagement.transitions import change_state
from stillhere.risk.models import RiskScore
from stillhere.simulator.stories import write_story_csv
from stillhere.test import make_member

TODAY = date(2026, 3, 13)  # a Friday; every story session falls on a weekday
UTC = timezone.utc


def at(d: date, hour: int = 0) -> datetime:
    return datetime(d.year, d.month, d.day, hour, tzinfo=UTC)   # London is on UTC in Jan-Mar


class StoriesTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.practice = Practice.objects.create(name="Riverside", slug="riverside", timezone="Europe/London")
        cls.alice = make_member(cls.practice, "alice@example.org", Membership.Role.CLINICIAN)
        with tempfile.TemporaryDirectory() as tmp:
            folder = write_story_csv(Path(tmp), TODAY, "alice@example.org")
            call_command("import", "appointments", str(folder / "appointments.csv"),
                         clients=str(folder / "clients.csv"), measures=str(folder / "measures.csv"),
                         practice="riverside", no_rescan=True, stdout=io.StringIO(), stderr=io.StringIO())

    def scan(self, when: datetime) -> dict:
        out = io.StringIO()
        call_command("scan", as_of=when.isoformat(), json=True, stdout=out, stderr=io.StringIO())
        return {o["client_id"]: o for o in map(json.loads, out.getvalue().splitlines())}

    def days(self, start: date, end: date, hour: int = 18):
        """Scan once a day, from start to end inclusive; returns {day: result}."""
        d, seen = start, {}
        while d <= end:
            seen[d] = self.scan(at(d, hour))
            d += timedelta(days=1)
        return seen

    def episode(self, ext):
        return Episode.objects.get(client__external_id=ext, previous__isnull=True)

    def changes(self, ext):
        return list(StateChange.objects.filter(episode__client__external_id=ext).order_by("at", "id"))

    def test_all_four_stories_were_imported_from_csv(self):
        self.assertEqual(Client.objects.filter(practice=self.practice).count(), 4)
        self.assertEqual(Appointment.objects.filter(episode__client__external_id="story-quiet").count(), 61)

    def test_the_letter_that_opened_a_door(self):
        seen = self.days(date(2026, 3, 6), date(2026, 4, 1))
        self.assertEqual(seen[date(2026, 3, 8)]["story-letter"]["state"], "active")
        # Monday 9 March, 10:00: a no-show, several weeks into weekly work.
        missed = seen[date(2026, 3, 9)]["story-letter"]
        self.assertEqual((missed["state"], missed["state_since"]), ("missed", "2026-03-09T10:00:00Z"))
        self.assertEqual(missed["reasons"][0], "No-show on 9 Mar, no word since")
        self.assertGreater(missed["risk"], 3 * seen[date(2026, 3, 8)]["story-letter"]["risk"])
        # The waiting period passes with the state unchanged (outreach acts on it).
        self.assertEqual(seen[date(2026, 3, 12)]["story-letter"]["state"], "missed")
        # Three weeks on, with no word and nothing booked, it is a lapse.
        self.assertEqual(seen[date(2026, 3, 29)]["story-letter"]["state"], "missed")
        self.assertEqual(seen[date(2026, 3, 31)]["story-letter"]["state"], "lapsed")
        self.assertEqual([(c.new_state, c.reason) for c in self.changes("story-letter")],
                         [("missed", "no_show"), ("lapsed", "gap_beyond_cadence")])

        # The sequence ends unanswered and the episode closes, door open...
        ep = self.episode("story-letter")
        Episode.objects.filter(pk=ep.pk).update(ended=date(2026, 4, 20), end_reason="no_goodbye")
        change_state(ep, "ended_no_goodbye", "sequence_unanswered", at=at(date(2026, 4, 20)), source="outreach")
        # ...and two years later she calls: a new booking, imported from the EHR.
        with tempfile.TemporaryDirectory() as tmp:
            csv = Path(tmp) / "appointments.csv"
            csv.write_text("appointment_id,client_id,clinician,start,status,booked_at\n"
                           "ret-1,story-letter,alice@example.org,2028-03-06T10:00:00+00:00,scheduled,"
                           "2028-02-28T09:00:00+00:00\n")
            call_command("import", "appointments", str(csv), practice="riverside", stdout=io.StringIO())
        back = Episode.objects.get(client__external_id="story-letter", previous__isnull=False)
        self.assertEqual(back.previous, ep)
        self.assertEqual(self.scan(at(date(2028, 3, 6), 8))["story-letter"]["state"], "returned")
        Appointment.objects.filter(external_id="ret-1").update(status="attended", session_number=1)
        self.assertEqual(self.scan(at(date(2028, 3, 7)))["story-letter"]["state"], "active")
        ep.refresh_from_db()
        self.assertEqual(ep.state, "ended_no_goodbye")

    def test_the_quiet_goodbye(self):
        # Years of fortnightly sessions; his occasional no-shows were each
        # followed by a return, which the scan records as re-engagement.
        no_show = Appointment.objects.filter(episode__client__external_id="story-quiet",
                                             status="no_show").latest("start").start.date()
        seen = self.days(no_show, no_show + timedelta(days=15))
        self.assertEqual(seen[no_show]["story-quiet"]["state"], "missed")
        self.assertEqual(seen[no_show + timedelta(days=15)]["story-quiet"]["state"], "re_engaged")
        # On 4 February he cancels Friday's session and does not rebook.
        seen = self.days(date(2026, 2, 4), date(2026, 2, 27))
        watch = seen[date(2026, 2, 5)]["story-quiet"]
        self.assertEqual(watch["state"], "watch")
        self.assertIn("Cancelled on 4 Feb and has not rebooked", watch["reasons"])
        # His own rhythm is fortnightly, so the lapse comes about a month after his last session.
        lapsed_on = min(d for d, r in seen.items() if r["story-quiet"]["state"] == "lapsed")
        self.assertTrue(date(2026, 2, 20) <= lapsed_on <= date(2026, 2, 26), lapsed_on)
        last = self.changes("story-quiet")[-1]
        self.assertEqual((last.new_state, last.reason), ("lapsed", "cancel_no_rebook"))
        self.assertEqual(last.detail, "Cancelled on 4 Feb and has not rebooked")

    def test_the_first_session_that_went_wrong(self):
        seen = self.days(date(2026, 3, 3), date(2026, 3, 11))
        # The day after the intake the risk is already visible, with its reasons.
        after_intake = seen[date(2026, 3, 4)]["story-first"]
        self.assertIn(after_intake["band"], ("medium", "high"))
        self.assertIn("Has come to one session so far", after_intake["reasons"])
        self.assertIn("A hard session in the last two weeks", after_intake["reasons"])
        # The late arrival counted too, beyond the top three reasons shown.
        # Scores are kept as changes: the score that evening is the newest stored by then.
        score = RiskScore.objects.filter(episode__client__external_id="story-first",
                                         as_of__lte=at(date(2026, 3, 4), 18)).latest("as_of")
        self.assertIn("late_arrival", score.contributions)
        self.assertEqual(seen[date(2026, 3, 10)]["story-first"]["state"], "missed")
        self.assertEqual(seen[date(2026, 3, 10)]["story-first"]["state_since"], "2026-03-10T15:00:00Z")

    def test_too_much_too_soon(self):
        seen = self.days(date(2026, 3, 4), date(2026, 3, 13))
        after_hard = seen[date(2026, 3, 6)]["story-too-much"]
        self.assertIn("Session rating fell from 38 to 31", after_hard["reasons"])
        self.assertIn("A hard session in the last two weeks", after_hard["reasons"])
        self.assertGreater(after_hard["risk"], seen[date(2026, 3, 4)]["story-too-much"]["risk"])
        missed = seen[date(2026, 3, 12)]["story-too-much"]
        self.assertEqual((missed["state"], missed["state_since"]), ("missed", "2026-03-12T12:00:00Z"))
        # Weeks later she calls back and books: re-engaged.
        ep = self.episode("story-too-much")
        Appointment.objects.create(practice=self.practice, episode=ep, external_id="back-1", status="scheduled",
                                   start=at(date(2026, 4, 9), 12), booked_at=at(date(2026, 4, 2), 9))
        back = self.scan(at(date(2026, 4, 3)))["story-too-much"]
        self.assertEqual(back["state"], "re_engaged")
        self.assertEqual(self.changes("story-too-much")[-1].reason, "rebooked")
