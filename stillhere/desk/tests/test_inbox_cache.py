"""The inbox kept per member (engagement/inbox.py): reused while nothing it
reads has changed, recomputed as soon as something has, never inside a
transaction. TransactionTestCase: the cache is off inside one, by design."""

from datetime import datetime, timedelta, timezone
from unittest import mock

from django.db import transaction
from django.test import TransactionTestCase

from stillhere.accounts.models import Practice
from stillhere.engagement import inbox
from stillhere.engagement.transitions import change_state
from stillhere.test import make_client, make_member

NOW = datetime(2026, 1, 13, 9, tzinfo=timezone.utc)


class InboxCacheTestCase(TransactionTestCase):
    def setUp(self):
        inbox.inbox_cache.store.clear()
        practice = Practice.objects.create(name="Riverside", slug="riverside", timezone="Europe/London")
        self.alice = make_member(practice, "alice", "clinician")
        self.ana = make_client(practice, self.alice, "r-001", "Ana", "Abbott")
        self.ben = make_client(practice, self.alice, "r-002", "Ben", "Baker")
        change_state(self.ana.episodes.get(), "missed", "no_show", detail="No-show on 12 Jan", at=NOW)

    def test_an_unchanged_inbox_is_not_recomputed(self):
        with mock.patch.object(inbox, "_needs_attention", wraps=inbox._needs_attention) as build:
            first = inbox.needs_attention(self.alice, NOW)
            again = inbox.needs_attention(self.alice, NOW + timedelta(seconds=30))
        self.assertEqual(build.call_count, 1)
        self.assertEqual([i.client.first_name for i in again], [i.client.first_name for i in first])

    def test_a_change_shows_at_once(self):
        self.assertEqual([i.client.first_name for i in inbox.needs_attention(self.alice, NOW)], ["Ana"])
        change_state(self.ben.episodes.get(), "missed", "no_show", detail="No-show on 12 Jan", at=NOW)
        later = NOW + timedelta(seconds=1)  # the next page view
        self.assertEqual({i.client.first_name for i in inbox.needs_attention(self.alice, later)}, {"Ana", "Ben"})

    def test_it_is_recomputed_after_five_minutes_whatever_happened(self):
        inbox.needs_attention(self.alice, NOW)
        with mock.patch.object(inbox, "_needs_attention", wraps=inbox._needs_attention) as build, \
                mock.patch("time.monotonic", return_value=10**9):
            inbox.needs_attention(self.alice, NOW + timedelta(seconds=1))
        self.assertEqual(build.call_count, 1)

    def test_nothing_is_kept_inside_a_transaction(self):
        with transaction.atomic(), mock.patch.object(inbox, "_needs_attention",
                                                     wraps=inbox._needs_attention) as build:
            inbox.needs_attention(self.alice, NOW)
            inbox.needs_attention(self.alice, NOW)
        self.assertEqual(build.call_count, 2)
        self.assertEqual(inbox.inbox_cache.store, {})

    def test_the_page_kept_for_a_member_shows_a_change_at_once(self):
        from stillhere.desk.templatetags import desk_tags

        desk_tags._PAGES.clear()
        self.client.force_login(self.alice.user)
        first = self.client.get("/").content.decode()
        self.assertIn("Ana Abbott", first)
        self.assertNotIn("Ben Baker", first)
        self.client.get("/")
        self.assertEqual(len(desk_tags._PAGES), 1)
        change_state(self.ben.episodes.get(), "missed", "no_show", detail="No-show on 12 Jan")
        self.assertIn("Ben Baker", self.client.get("/").content.decode())
