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


class LongInboxTestCase(BaseTestCase):
    """A director's practice can hold thousands of clients needing attention:
    each heading shows its most urgent 25 and a link to all of them, a page of
    50 at a time; safety checks are never cut."""

    add_clients = PageQueriesTestCase.add_clients   # the same caseload, without PageQueriesTestCase's own tests

    def test_a_heading_shows_the_most_urgent_few_and_a_link_to_all_of_them(self):
        from stillhere.engagement import views

        self.add_clients(60, 0)
        self.login(self.dora)
        page = self.client.get(reverse("engagement:inbox")).content.decode()
        heading = [line for line in page.splitlines() if "most urgent of" in line]
        self.assertTrue(heading, "no heading was cut at 60 clients")
        self.assertIn(f"The {views.PER_HEADING} most urgent of", heading[0])
        link = heading[0].split('href="')[1].split('"')[0].replace("&amp;", "&")
        kind = link.split("kind=")[1]
        whole = self.client.get(reverse("engagement:inbox") + link).content.decode()
        total = int(heading[0].split("most urgent of ")[1].split(".")[0])
        self.assertEqual(whole.count('class="inbox-card"'), min(total, views.PER_PAGE))
        if total > views.PER_PAGE:
            self.assertIn(f"Page 1 of {-(-total // views.PER_PAGE)}", whole)
            rest = self.client.get(reverse("engagement:inbox") + link + "&page=2").content.decode()
            self.assertEqual(rest.count('class="inbox-card"'), min(total - views.PER_PAGE, views.PER_PAGE))
            self.assertIn(f"{views.PER_PAGE + 1}–", rest)
        self.assertIn(kind, views.KINDS)

    def test_safety_checks_are_never_cut(self):
        from stillhere.engagement import views
        from stillhere.engagement.inbox import SAFETY

        rows = list(range(80))
        self.assertEqual(views.heading_page(rows, SAFETY, "", 1)[0], rows)
        self.assertEqual(len(views.heading_page(rows, SAFETY + 1, "", 1)[0]), views.PER_HEADING)
        self.assertEqual(views.heading_page(rows, SAFETY + 1, "quiet", 2)[0], rows[50:80])
        self.assertEqual(views.heading_page(rows, SAFETY + 1, "quiet", 99)[0], rows[50:80])   # past the end: the last page
