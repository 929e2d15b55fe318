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


class RaisedMarkCacheTestCase(TransactionTestCase):
    """Marking a "talk about it" item raised, or logging a reply, is seen at
    once by a cached inbox (the marks and replies are in its fingerprint)."""

    def setUp(self):
        from datetime import date

        from stillhere.measures.models import MeasureResult

        inbox_cache.store.clear()
        inbox_cache.last = None
        self.practice = Practice.objects.create(name="Riverside", slug="riverside", timezone="Europe/London")
        self.alice = make_member(self.practice, "alice", "clinician")
        self.ana = make_client(self.practice, self.alice, "r-001", "Ana", "Abbott")
        MeasureResult.objects.create(practice=self.practice, client=self.ana, episode=self.ana.episodes.get(),
                                     instrument="SRS", taken_on=date(2026, 1, 12), total=30)
        scan_practice(self.practice, NOW)

    def titles(self, minute):
        return [i.title for i in needs_attention(self.alice, datetime(2026, 1, 13, 9, minute, tzinfo=timezone.utc))]

    def test_a_mark_raised_is_seen_at_once(self):
        from stillhere.desk.reviews import mark_raised
        from stillhere.engagement.inbox import ALERT

        self.assertEqual(self.titles(0), ["Missed a session", "Alliance below cutoff"])
        self.assertEqual(self.titles(1), ["Missed a session", "Alliance below cutoff"])   # cached
        item = next(i for i in needs_attention(self.alice, NOW) if i.group == ALERT)
        mark_raised(self.alice, item, NOW)
        self.assertEqual(self.titles(2), ["Missed a session"])

    def test_a_reply_is_seen_at_once(self):
        from stillhere.outreach.models import Reply

        self.titles(0)
        self.assertIn("no word since", needs_attention(self.alice, NOW)[0].reason)
        # A reply recorded without any state change (the episode's state is left to the scan).
        Reply.objects.create(practice=self.practice, client=self.ana, episode=self.ana.episodes.get(),
                             source="email", received=NOW)
        reason = needs_attention(self.alice, datetime(2026, 1, 13, 9, 3, tzinfo=timezone.utc))[0].reason
        self.assertEqual(reason, "No-show on 12 Jan; they replied on 13 Jan")
