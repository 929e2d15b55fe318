"""The practice page's figures are kept per period while the practice's data
is unchanged, and computed afresh as soon as it changes.

TransactionTestCase because the cache steps aside inside an atomic block,
which is where ordinary TestCase tests always run."""

from datetime import date, datetime, timezone

import time_machine
from django.db import connection
from django.test import TransactionTestCase
from django.test.utils import CaptureQueriesContext

from stillhere.analytics.cache import report_cache
from stillhere.clients import endings
from stillhere.test import make_client, make_member

NOW = datetime(2026, 3, 2, 12, tzinfo=timezone.utc)
PERIOD = "/practice/?from=2026-01-01&to=2026-03-01"


class PracticeReportCacheTestCase(TransactionTestCase):
    def setUp(self):
        from stillhere.accounts.models import Practice

        report_cache.clear()
        self.practice = Practice.objects.create(name="Riverside", slug="riverside", timezone="Europe/London")
        self.alice = make_member(self.practice, "alice", "clinician")
        self.dora = make_member(self.practice, "dora", "director")
        self.clients = [make_client(self.practice, self.alice, f"r-{i:03d}", "Client", f"N{i:03d}")
                        for i in range(6)]
        self.client.force_login(self.dora.user)

    def page(self):
        with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as q:
            r = self.client.get(PERIOD)
        self.assertEqual(r.status_code, 200)
        return r, q.captured_queries

    def test_a_second_look_does_not_recompute_the_figures(self):
        first, _ = self.page()
        again, queries = self.page()
        self.assertIs(again.context["r"], first.context["r"])
        self.assertFalse([q for q in queries if "clients_appointment" in q["sql"] and "GROUP BY" in q["sql"]])
        self.assertContains(again, "Of 12 sessions that were due")

    def test_an_ending_shows_at_once(self):
        first, _ = self.page()
        self.assertEqual(first.context["r"].dropout.total, 0)
        episode = self.clients[0].episodes.get()
        endings.end_episode(self.alice, episode, "planned", date(2026, 2, 20), now=NOW)
        again, _ = self.page()
        self.assertEqual((again.context["r"].dropout.total, again.context["r"].dropout.events), (1, 0))
        self.assertContains(again, "of the 1 episode that ended from 1 Jan 2026 to 1 Mar 2026")

    def test_each_period_has_its_own_figures(self):
        first, _ = self.page()
        with time_machine.travel(NOW, tick=False):
            other = self.client.get("/practice/?from=2026-01-10&to=2026-03-01")
        self.assertIsNot(other.context["r"], first.context["r"])
        self.assertLess(other.context["r"].noshow.total, first.context["r"].noshow.total)
