"""The inbox at a group practice: one card per client, a director's filters,
"talk about it" items marked raised, counts after an action, reasons for
every state, and a logged contact counting as word. Through the real scan,
the real inbox and the real pages."""

from datetime import date, datetime, timedelta, timezone

import time_machine

from stillhere.audit.models import AuditEvent
from stillhere.clients.models import Client
from stillhere.desk.models import RaisedMark
from stillhere.engagement.inbox import ALERT, MISSED, SAFETY, cards, filtered, needs_attention
from stillhere.engagement.scan import scan_practice
from stillhere.measures.models import MeasureResult
from stillhere.outreach import actions
from stillhere.risk.models import CurrentRisk
from stillhere.test import BaseTestCase

# Ana (Alice's) and Ben (Bob's) each came on 5 Jan and missed 12 Jan (stillhere/test.py).
AFTER = datetime(2026, 1, 13, 9, tzinfo=timezone.utc)
HX = {"HTTP_HX_REQUEST": "true"}


class InboxCardsTestCase(BaseTestCase):
    def setUp(self):
        Client.objects.filter(pk=self.ben.pk).update(safety_concern=True, safety_since=date(2025, 12, 1))
        self.rate(self.ana, "SRS", date(2026, 1, 5), 38)
        self.rate(self.ana, "SRS", date(2026, 1, 12), 30)     # below 36 and a fall of 8: two alerts
        self.rate(self.ben, "PHQ-9", date(2026, 1, 12), 14, items=[2, 2, 2, 2, 1, 1, 1, 1, 2])
        self.outcome = scan_practice(self.riverside, AFTER)

    def rate(self, client, instrument, on, total, items=None):
        return MeasureResult.objects.create(practice=self.riverside, client=client, episode=client.episodes.get(),
                                            instrument=instrument, taken_on=on, total=total, items=items)

    # --- reasons ---------------------------------------------------------

    def test_the_same_day_safety_check_names_its_cause(self):
        items = needs_attention(self.dora, AFTER)
        ben = [i for i in items if i.client == self.ben]
        self.assertEqual(ben[0].group, SAFETY)
        self.assertEqual(ben[0].reason, "No-show on 12 Jan, with a safety concern noted on 1 Dec 2025: "
                                        "check on their safety today")
        # The questionnaire's safety item, with the answer and the date, on the same card.
        words = " ".join(i.reason for i in ben)
        self.assertIn("PHQ-9 on 12 Jan 2026: item 9 (thoughts of death or self-harm) was answered above 0 "
                      "(the answer was 2)", words)

    def test_the_scan_json_says_the_words_of_the_latest_state_change(self):
        by_client = {e["client_id"]: e for e in self.outcome.episodes}
        self.assertEqual(by_client["r-001"]["state_reason"], "No-show on 12 Jan, no word since")
        self.assertIn("safety concern noted on 1 Dec 2025", by_client["r-002"]["state_reason"])
        # A second scan changes nothing and still says why.
        again = {e["client_id"]: e for e in scan_practice(self.riverside, AFTER + timedelta(hours=1)).episodes}
        self.assertEqual(again["r-001"]["state_reason"], "No-show on 12 Jan, no word since")

    def test_a_logged_reply_replaces_no_word_since_at_once(self):
        ep = self.ana.episodes.get()
        # The stored score's reasons, as the scan wrote them, with a high band.
        CurrentRisk.objects.filter(episode=ep).update(band="high")
        risk = CurrentRisk.objects.get(episode=ep)
        self.assertIn("No-show on 12 Jan, no word since", risk.reasons)
        before = [i.reason for i in needs_attention(self.alice, AFTER) if i.client == self.ana]
        self.assertTrue(any("no word since" in r for r in before))
        actions.log_reply(self.ana, "call", AFTER + timedelta(minutes=5), text="Ill, will rebook",
                          actor=self.alice.user, by_membership=self.alice)
        after = [i.reason for i in needs_attention(self.alice, AFTER + timedelta(minutes=6)) if i.client == self.ana]
        self.assertTrue(after)
        self.assertFalse(any("no word since" in r for r in after), after)
        # The reply rescanned her at once (engagement/rescan.py): heard from after the missed session, and the
        # stored reasons no longer say otherwise.
        ep.refresh_from_db()
        self.assertEqual(ep.state, "re_engaged")
        self.assertFalse(any("no word since" in r for r in CurrentRisk.objects.get(episode=ep).reasons))

    # --- cards and filters -----------------------------------------------

    def test_one_card_per_client_with_all_its_reasons(self):
        items = needs_attention(self.dora, AFTER)
        deck = cards(items)
        self.assertEqual([c.client.first_name for c in deck], ["Ben", "Ana"])
        self.assertEqual([i.group for i in deck[0].items], [SAFETY, SAFETY])
        self.assertEqual({i.group for i in deck[1].items}, {MISSED, ALERT})
        talk = next(i for i in deck[1].items if i.group == ALERT)
        self.assertIn("below 36", talk.reason)
        self.assertIn("fell 8 points", talk.reason)

    def test_a_director_filters_by_clinician_and_by_kind(self):
        items = needs_attention(self.dora, AFTER)
        self.assertEqual({i.client.first_name for i in filtered(items, self.alice.pk)}, {"Ana"})
        self.assertEqual({i.client.first_name for i in filtered(items, None, "safety")}, {"Ben"})
        # A card keeps all its reasons when one of them is of the kind asked for.
        self.assertEqual({i.group for i in filtered(items, None, "talk")}, {MISSED, ALERT})
        with time_machine.travel(AFTER, tick=False):
            self.login(self.dora)
            page = self.client.get(f"/?clinician={self.alice.pk}")
            self.assertContains(page, "Ana Abbott")
            self.assertNotContains(page, "Ben Baker")
            self.assertContains(page, f'<option value="{self.alice.pk}" selected>')
            page = self.client.get("/?kind=safety")
            self.assertContains(page, "Ben Baker")
            self.assertNotContains(page, "Ana Abbott")
            # Unknown values are ignored, never echoed.
            page = self.client.get("/?kind=<b>x</b>&clinician=99999")
            self.assertContains(page, "Ana Abbott")
            self.assertNotContains(page, "&lt;b&gt;x")

    def test_a_clinician_cannot_filter_their_way_into_another_caseload(self):
        with time_machine.travel(AFTER, tick=False):
            self.login(self.alice)
            page = self.client.get(f"/?clinician={self.bob.pk}")
        self.assertContains(page, "Ana Abbott")
        self.assertNotContains(page, "Ben Baker")
        self.assertNotContains(page, 'id="f-clinician"')

    # --- raised ----------------------------------------------------------

    def test_a_talk_about_it_item_marked_raised_stays_away_until_something_new(self):
        ep = self.ana.episodes.get()
        with time_machine.travel(AFTER, tick=False):
            self.login(self.alice)
            page = self.client.get("/")
            self.assertContains(page, "Raised it at a session")
            r = self.client.post(f"/inbox/episodes/{ep.pk}/raised/", {"slot": "t", "back": "/"}, **HX)
        self.assertContains(r, "marked raised")
        # The counts follow, out of band.
        self.assertContains(r, 'id="inbox-summary" class="muted" role="status" hx-swap-oob="true"')
        self.assertContains(r, "1 client needs attention (1 reason).")  # was 2 reasons
        self.assertContains(r, 'id="count-talk" hx-swap-oob="true">(0)')
        mark = RaisedMark.objects.get()
        self.assertEqual((mark.episode, mark.by, mark.fact_on), (ep, self.alice, date(2026, 1, 12)))
        self.assertTrue(AuditEvent.objects.filter(verb="alert-raised", client=self.ana).exists())
        self.assertFalse([i for i in needs_attention(self.alice, AFTER) if i.group == ALERT])
        # Another low rating is the same standing state: still away.
        self.rate(self.ana, "SRS", date(2026, 1, 13), 30)
        self.assertFalse([i for i in needs_attention(self.alice, AFTER) if i.group == ALERT])
        # A new fall is something new: back.
        self.rate(self.ana, "SRS", date(2026, 1, 14), 26)
        later = AFTER + timedelta(days=1, hours=12)
        back = [i for i in needs_attention(self.alice, later) if i.group == ALERT]
        self.assertEqual(len(back), 1)
        self.assertIn("fell 4 points", back[0].reason)

    def test_a_raised_state_comes_back_after_four_weeks(self):
        ep = self.ana.episodes.get()
        item = next(i for i in needs_attention(self.alice, AFTER) if i.group == ALERT)
        from stillhere.desk.reviews import mark_raised

        mark_raised(self.alice, item, AFTER)
        self.assertFalse([i for i in needs_attention(self.alice, AFTER + timedelta(days=2)) if i.group == ALERT])
        # Still low weeks later (the alert is dated by its latest rating).
        self.rate(self.ana, "SRS", date(2026, 2, 11), 30)
        weeks = AFTER + timedelta(days=29)
        self.assertEqual(len([i for i in needs_attention(self.alice, weeks) if i.group == ALERT
                              and i.episode == ep]), 1)

    def test_without_javascript_the_mark_returns_to_the_filtered_page(self):
        ep = self.ana.episodes.get()
        with time_machine.travel(AFTER, tick=False):
            self.login(self.dora)
            r = self.client.post(f"/inbox/episodes/{ep.pk}/raised/", {"back": "/?kind=talk"})
            self.assertRedirects(r, "/?kind=talk", fetch_redirect_response=False)
            r = self.client.post(f"/inbox/episodes/{ep.pk}/raised/", {"back": "//elsewhere.example/"})
            self.assertRedirects(r, "/", fetch_redirect_response=False)   # already raised: a refusal, home

    def test_only_the_clients_clinician_or_a_director_marks_it_and_others_see_nothing(self):
        ep = self.ana.episodes.get()
        self.login(self.bob)
        self.assertEqual(self.client.post(f"/inbox/episodes/{ep.pk}/raised/", {"slot": "t"}, **HX).status_code, 404)
        self.login(self.charlie)
        self.assertEqual(self.client.post(f"/inbox/episodes/{ep.pk}/raised/", {"slot": "t"}, **HX).status_code, 404)
        self.assertFalse(RaisedMark.objects.exists())
