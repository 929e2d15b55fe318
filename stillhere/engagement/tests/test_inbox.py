from datetime import date, datetime, timezone

import time_machine

from stillhere.audit.models import AuditEvent
from stillhere.clients.models import Client
from stillhere.engagement.inbox import ALERT, MISSED, SAFETY, needs_attention
from stillhere.engagement.models import StateChange
from stillhere.engagement.scan import scan_practice
from stillhere.test import BaseTestCase

# Ana and Ben each came on 5 Jan and missed 12 Jan (see stillhere/test.py).
AFTER = datetime(2026, 1, 13, 9, tzinfo=timezone.utc)


class InboxTestCase(BaseTestCase):
    def setUp(self):
        Client.objects.filter(pk=self.ben.pk).update(safety_concern=True, safety_since=date(2025, 12, 1))
        scan_practice(self.riverside, AFTER)

    def test_safety_comes_first_then_missed_sessions(self):
        items = needs_attention(self.dora, AFTER)
        self.assertEqual([(i.group, i.client.first_name) for i in items[:2]], [(SAFETY, "Ben"), (MISSED, "Ana")])
        self.assertEqual(items[0].reason,
                         "No-show on 12 Jan, with a safety concern noted on 1 Dec 2025: check on their safety today")
        self.assertEqual(items[1].reason, "No-show on 12 Jan, no word since")
        self.assertEqual(items[1].action, "Give them until Thu 15 Jan to get in touch")

    def test_after_the_waiting_period_the_next_action_is_outreach(self):
        later = datetime(2026, 1, 16, 9, tzinfo=timezone.utc)
        ana = next(i for i in needs_attention(self.alice, later) if i.client == self.ana)
        self.assertEqual(ana.action, "Review the first outreach step")

    def test_a_clinician_sees_only_their_own_items(self):
        names = {i.client.first_name for i in needs_attention(self.alice, AFTER)}
        self.assertEqual(names, {"Ana"})
        self.assertEqual({i.client.first_name for i in needs_attention(self.charlie, AFTER)}, set())

    @time_machine.travel(AFTER, tick=False)
    def test_the_home_page_lists_items_in_order_and_is_audited(self):
        self.login(self.dora)
        r = self.client.get("/")
        self.assertContains(r, "Safety check today")
        body = r.content.decode()
        self.assertLess(body.index("Ben Baker"), body.index("Ana Abbott"))
        self.assertTrue(AuditEvent.objects.filter(verb="inbox-viewed", actor=self.dora.user).exists())

    @time_machine.travel(AFTER, tick=False)
    def test_the_home_page_shows_nothing_of_other_caseloads_or_practices(self):
        self.login(self.alice)
        r = self.client.get("/")
        self.assertContains(r, "Ana Abbott")
        self.assertNotContains(r, "Ben Baker")
        self.login(self.charlie)
        self.assertNotContains(self.client.get("/"), "Abbott")
        self.login(self.cora)
        r = self.client.get("/")
        self.assertNotContains(r, "Abbott")
        self.assertContains(r, "de-identified")

    def test_a_clinician_overrides_a_state_with_a_note(self):
        self.login(self.alice)
        ep = self.ana.episodes.get()
        url = f"/clients/{self.ana.code}/episodes/{ep.pk}/state/"
        r = self.client.post(url, {"state": "active", "note": "She rang to say she was ill; back next week."})
        self.assertRedirects(r, f"/clients/{self.ana.code}/")
        ep.refresh_from_db()
        self.assertEqual(ep.state, "active")
        change = StateChange.objects.filter(episode=ep).latest("id")
        self.assertEqual((change.source, change.by, change.note),
                         ("clinician", self.alice, "She rang to say she was ill; back next week."))
        self.assertTrue(AuditEvent.objects.filter(verb="state-overridden", client=self.ana).exists())
        page = self.client.get(f"/clients/{self.ana.code}/")
        self.assertContains(page, "She rang to say she was ill")

    def test_an_override_needs_a_note_and_changes_nothing_without_one(self):
        self.login(self.alice)
        ep = self.ana.episodes.get()
        r = self.client.post(f"/clients/{self.ana.code}/episodes/{ep.pk}/state/", {"state": "active", "note": " "},
                             follow=True)
        self.assertContains(r, "Please add a short note saying why.")
        ep.refresh_from_db()
        self.assertEqual(ep.state, "missed")

    def test_nobody_else_can_override_and_a_hidden_client_is_a_404(self):
        ep = self.ana.episodes.get()
        url = f"/clients/{self.ana.code}/episodes/{ep.pk}/state/"
        for member in (self.bob, self.charlie, self.cora):
            self.login(member)
            self.assertEqual(self.client.post(url, {"state": "active", "note": "x"}).status_code, 404)
        self.login(self.adam)  # an admin sees the client but does not decide clinical states
        self.assertEqual(self.client.post(url, {"state": "active", "note": "x"}).status_code, 403)
        ep.refresh_from_db()
        self.assertEqual(ep.state, "missed")

    def test_the_client_page_shows_the_risk_and_the_history(self):
        self.login(self.alice)
        r = self.client.get(f"/clients/{self.ana.code}/")
        self.assertContains(r, "Risk of leaving without goodbye")
        self.assertContains(r, "No-show on 12 Jan, no word since")
        self.assertContains(r, "Engagement history")


class MeasureAlertsInInboxTestCase(BaseTestCase):
    def add(self, client, instrument, on, total, items=None):
        from stillhere.measures.models import MeasureResult

        MeasureResult.objects.create(practice=self.riverside, client=client, episode=client.episodes.get(),
                                     instrument=instrument, taken_on=on, total=total, items=items)

    def test_a_falling_alliance_is_a_prompt_for_the_next_session(self):
        self.add(self.ana, "SRS", date(2026, 1, 5), 38.0)
        self.add(self.ana, "SRS", date(2026, 1, 12), 33.0)
        items = needs_attention(self.alice, datetime(2026, 1, 14, 9, tzinfo=timezone.utc))
        alert = next(i for i in items if i.group == ALERT)
        self.assertEqual(alert.client, self.ana)
        self.assertEqual(alert.action, "Talk about it at the next session")
        self.assertIn("38", alert.reason)

    def test_an_old_alert_is_no_longer_news(self):
        self.add(self.ana, "SRS", date(2026, 1, 5), 38.0)
        self.add(self.ana, "SRS", date(2026, 1, 12), 33.0)
        items = needs_attention(self.alice, datetime(2026, 2, 20, 9, tzinfo=timezone.utc))
        self.assertFalse([i for i in items if i.group == ALERT])

    def test_a_phq9_safety_answer_is_a_same_day_item_at_the_top(self):
        self.add(self.ben, "PHQ-9", date(2026, 1, 12), 14.0, items=[2, 2, 1, 2, 1, 2, 2, 1, 1])
        items = needs_attention(self.dora, datetime(2026, 1, 12, 18, tzinfo=timezone.utc))
        self.assertEqual((items[0].group, items[0].client), (SAFETY, self.ben))
        self.assertEqual(items[0].action, "Check in with them today")
