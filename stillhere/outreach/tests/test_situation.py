"""Scripts that fit the situation: a missed session on a named day, a lapse
of weeks, never "this week" for a client gone five weeks."""

from datetime import datetime, timezone as tz

from stillhere.engagement.transitions import change_state
from stillhere.outreach.situation import how_long, when_day

from .helpers import OutreachTestCase, tick

LONDON = __import__("zoneinfo").ZoneInfo("Europe/London")


class SituationTest(OutreachTestCase):
    def test_a_lapse_of_five_weeks_is_said_as_such(self):
        lapse = datetime(2026, 2, 9, 10, tzinfo=tz.utc)   # last attended Monday 5 January
        change_state(self.episode, "lapsed", "gap_beyond_cadence", at=lapse)
        tick(lapse)
        script = self.step("call").body
        self.assertIn("it's been about five weeks since we last met", script)
        self.assertNotIn("this week", script)

    def test_days_and_spans_in_words(self):
        monday = datetime(2026, 1, 12, 10, tzinfo=tz.utc)
        self.assertEqual(when_day(monday, monday, LONDON), "today")
        self.assertEqual(when_day(monday, datetime(2026, 1, 13, 9, tzinfo=tz.utc), LONDON), "yesterday")
        self.assertEqual(when_day(monday, datetime(2026, 1, 15, 9, tzinfo=tz.utc), LONDON), "on Monday")
        self.assertEqual(when_day(monday, datetime(2026, 1, 20, 9, tzinfo=tz.utc), LONDON), "on 12 January")
        self.assertEqual(how_long(monday, datetime(2026, 2, 16, tzinfo=tz.utc)), "about five weeks")
        self.assertEqual(how_long(monday, datetime(2026, 6, 12, tzinfo=tz.utc)), "about five months")
        self.assertEqual(how_long(monday, datetime(2028, 1, 12, tzinfo=tz.utc)), "about two years")
