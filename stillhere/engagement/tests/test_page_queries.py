"""The pages people wait for run a fixed number of SQL queries whatever the
caseload: the inbox, the client list, a client's page and the practice page
are each requested at two caseload sizes and must run no more queries at the
larger one (an N+1, a query per client or per appointment, shows up as a
count that grows with the caseload)."""

import os
from datetime import date, datetime, timedelta as td, timezone as tz

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from stillhere.clients.models import Appointment
from stillhere.engagement.inbox import inbox_cache
from stillhere.engagement.scan import scan_practice
from stillhere.measures.models import MeasureResult
from stillhere.test import BaseTestCase, make_client

NOW = datetime(2026, 1, 13, 9, tzinfo=tz.utc)
# Well above what any page needs, so a failure says "grew", not "changed".
MOST = 40


class PageQueriesTestCase(BaseTestCase):
    def add_clients(self, n, start):
        """n more of Alice's clients, each with a missed session, a rating
        and a booked session, so every kind of row shows on every page."""
        for i in range(start, start + n):
            c = make_client(self.riverside, self.alice, f"q-{i:03d}", "Client", f"N{i:03d}")
            ep = c.episodes.get()
            Appointment.objects.create(practice=self.riverside, episode=ep, external_id=f"q-{i:03d}-3",
                                       start=NOW + td(days=2 + i % 5), status=Appointment.Status.SCHEDULED)
            MeasureResult.objects.create(practice=self.riverside, client=c, episode=ep, instrument="SRS",
                                         taken_on=date(2026, 1, 5), total=30)
        scan_practice(self.riverside, NOW)
        inbox_cache.store.clear()
        inbox_cache.last = None
        return c

    def count(self, url):
        with CaptureQueriesContext(connection) as q:
            response = self.client.get(url)
        self.assertEqual(response.status_code, 200, url)
        self.last = q.captured_queries
        return len(q.captured_queries)

    def counts_at_two_sizes(self, member, url_for):
        self.login(member)
        small = self.add_clients(3, 0)
        few = self.count(url_for(small))
        large = self.add_clients(30, 3)
        url = url_for(large)
        many = self.count(url)
        print(f"{url}: {few} queries with 4 clients, {many} with 34")
        if os.environ.get("SHOW_QUERIES"):
            for q in self.last:
                print("   ", q["sql"][:230])
        self.assertLessEqual(many, few, f"{url}: {few} queries with 4 clients, {many} with 34")
        self.assertLessEqual(many, MOST)
        return few, many

    def test_the_inbox(self):
        self.counts_at_two_sizes(self.alice, lambda c: reverse("engagement:inbox"))

    def test_the_client_list(self):
        self.counts_at_two_sizes(self.alice, lambda c: reverse("clients:list"))

    def test_a_client_page(self):
        def url(c):
            # The larger size also gives this client a longer history.
            if c.external_id != "q-002":
                ep = c.episodes.get()
                for k in range(12):
                    Appointment.objects.create(practice=self.riverside, episode=ep, external_id=f"{c.pk}-h{k}",
                                               start=datetime(2025, 9, 1, 10, tzinfo=tz.utc) + td(weeks=k),
                                               status=Appointment.Status.ATTENDED)
            return reverse("clients:detail", args=[c.code])

        self.counts_at_two_sizes(self.alice, url)

    def test_the_practice_page(self):
        self.counts_at_two_sizes(self.dora, lambda c: reverse("analytics:practice") + "?start=2025-01-01&end=2026-01-12")
