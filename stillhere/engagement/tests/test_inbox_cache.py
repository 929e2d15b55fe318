"""The inbox cache, outside a transaction (where it is used for real).

TransactionTestCase because the cache steps aside inside an atomic block,
which is where ordinary TestCase tests always run."""

from datetime import datetime, timezone

from django.db import connection
from django.test import TransactionTestCase
from django.test.utils import CaptureQueriesContext

from stillhere.accounts.models import Practice
from stillhere.engagement.inbox import inbox_cache, needs_attention
from stillhere.engagement.scan import scan_practice
from stillhere.engagement.transitions import change_state
from stillhere.test import make_client, make_member

NOW = datetime(2026, 1, 13, 9, tzinfo=timezone.utc)


class InboxCacheTestCase(TransactionTestCase):
    def setUp(self):
        inbox_cache.store.clear()
        inbox_cache.last = None
        self.practice = Practice.objects.create(name="Riverside", slug="riverside", timezone="Europe/London")
        self.alice = make_member(self.practice, "alice", "clinician")
        self.ana = make_client(self.practice, self.alice, "r-001", "Ana", "Abbott")
        scan_practice(self.practice, NOW)

    def titles(self, now=NOW):
        return [(i.client.first_name, i.title) for i in needs_attention(self.alice, now)]

    def test_a_second_look_reads_only_the_fingerprint(self):
        first = self.titles()
        self.assertEqual(first, [("Ana", "Missed a session")])
        with CaptureQueriesContext(connection) as q:
            self.assertEqual(self.titles(datetime(2026, 1, 13, 9, 1, tzinfo=timezone.utc)), first)
        self.assertEqual(len(q.captured_queries), 1)

    def test_a_state_change_is_seen_at_once(self):
        self.assertEqual(self.titles(), [("Ana", "Missed a session")])
        change_state(self.ana.episodes.get(), "active", "override", source="clinician", by=self.alice,
                     note="She rang.")
        self.assertEqual(self.titles(datetime(2026, 1, 13, 9, 1, tzinfo=timezone.utc)), [])
