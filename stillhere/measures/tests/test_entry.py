"""The end-of-session rating form on the client page, and who may use it."""

from datetime import date, datetime, timezone

import time_machine

from stillhere.audit.models import AuditEvent
from stillhere.measures.models import MeasureResult
from stillhere.test import BaseTestCase

NOW = datetime(2026, 1, 12, 16, 0, tzinfo=timezone.utc)


@time_machine.travel(NOW, tick=False)
class EntryTestCase(BaseTestCase):
    def url(self, client, what="record"):
        return f"/measures/clients/{client.code}/{what}/"

    def post(self, client, htmx=True, **data):
        headers = {"HX-Request": "true"} if htmx else {}
        return self.client.post(self.url(client), data, headers=headers)

    def test_the_client_page_has_the_rating_form_and_a_chart_slot(self):
        self.login(self.alice)
        r = self.client.get(f"/clients/{self.ana.code}/")
        self.assertContains(r, "Record a rating")
        self.assertContains(r, 'id="measures"')
        self.assertContains(r, "Relationship")  # SRS is the default questionnaire
        self.assertEqual(AuditEvent.objects.filter(verb="measures-viewed", client=self.ana).count(), 1)

    def test_a_clinician_records_a_session_rating_with_htmx(self):
        self.login(self.alice)
        r = self.post(self.ana, instrument="SRS", taken_on="2026-01-05", item1="9.5", item2="9", item3="8.5",
                      item4="8.5")
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, "SRS 35.5 recorded for 5 Jan 2026 (alliance concern).")
        self.assertContains(r, "Alliance below cutoff.")
        self.assertContains(r, "<svg", html=False)
        m = MeasureResult.objects.get(client=self.ana)
        self.assertEqual((m.instrument, m.total, m.items, m.source), ("SRS", 35.5, [9.5, 9.0, 8.5, 8.5], "manual"))
        # tied to the session held that day
        self.assertEqual(m.appointment.start.date(), date(2026, 1, 5))
        self.assertEqual(m.episode_id, m.appointment.episode_id)
        ev = AuditEvent.objects.get(verb="measure-recorded")
        self.assertEqual((ev.actor, ev.client, ev.data), (self.alice.user, self.ana,
                                                          {"instrument": "SRS", "source": "manual"}))

    def test_a_total_alone_is_enough(self):
        self.login(self.alice)
        self.post(self.ana, instrument="ORS", taken_on="2026-01-05", total="22.4")
        self.assertEqual(MeasureResult.objects.get().total, 22.4)

    def test_without_htmx_it_redirects_back_to_the_client_page(self):
        self.login(self.alice)
        r = self.post(self.ana, htmx=False, instrument="GAD-7", taken_on="2026-01-05", total="7")
        self.assertRedirects(r, f"/clients/{self.ana.code}/#measures", fetch_redirect_response=False)

    def test_an_out_of_range_item_is_refused_with_the_item_named_and_nothing_saved(self):
        self.login(self.alice)
        r = self.post(self.ana, instrument="PHQ-9", taken_on="2026-01-05",
                      **{f"item{i}": "1" for i in range(1, 9)}, item9="5")
        self.assertContains(r, "The rating was not saved")
        self.assertContains(r, "PHQ-9 item 9 (Thoughts of death or self-harm): 5 is above the highest answer, 3.")
        self.assertContains(r, 'id="m-item9"')
        self.assertContains(r, 'aria-invalid="true" autofocus')
        self.assertContains(r, 'value="5"')  # what was typed is kept
        self.assertEqual(MeasureResult.objects.count(), 0)
        self.assertFalse(AuditEvent.objects.filter(verb="measure-recorded").exists())

    def test_a_half_filled_form_names_the_missing_item(self):
        self.login(self.alice)
        r = self.post(self.ana, instrument="SRS", item1="9", item2="9", item4="9")
        self.assertContains(r, "SRS item 3 (Approach or method): missing.")
        self.assertEqual(MeasureResult.objects.count(), 0)

    def test_without_htmx_a_mistake_is_a_400_page_with_the_form(self):
        self.login(self.alice)
        r = self.post(self.ana, htmx=False, instrument="SRS", total="41")
        self.assertEqual(r.status_code, 400)
        self.assertContains(r, "SRS total: 41 is above the highest possible total, 40.", status_code=400)

    def test_a_future_date_or_unknown_instrument_is_refused(self):
        self.login(self.alice)
        self.assertContains(self.post(self.ana, instrument="SRS", total="38", taken_on="2026-02-01"),
                            "The date cannot be in the future.")
        self.assertContains(self.post(self.ana, instrument="NOPE", total="38"), "Choose a questionnaire.")
        self.assertEqual(MeasureResult.objects.count(), 0)

    def test_a_safety_item_answered_above_zero_is_said_the_same_day(self):
        self.login(self.alice)
        r = self.post(self.ana, instrument="PHQ-9", **{f"item{i}": "0" for i in range(1, 9)}, item9="1")
        self.assertContains(r, "A safety item was answered above 0: please look at it today.")
        self.assertContains(r, "Safety item.")
        self.assertContains(r, "check on the client&#x27;s safety")

    def test_the_fields_swap_to_the_chosen_questionnaire(self):
        self.login(self.alice)
        r = self.client.get(self.url(self.ana, "fields") + "?instrument=PHQ-9", headers={"HX-Request": "true"})
        self.assertContains(r, 'name="item9"')
        self.assertNotContains(r, "<html")
        r = self.client.get(self.url(self.ana, "fields") + "?instrument=GAD-7")
        self.assertContains(r, "<html")  # without JavaScript, a page of its own
        self.assertContains(r, 'name="item7"')
        self.assertNotContains(r, 'name="item8"')

    def test_another_clinicians_client_is_a_404_for_every_view(self):
        self.login(self.alice)
        for what in ("record", "checkins"):
            self.assertEqual(self.client.post(self.url(self.ben, what), {"instrument": "SRS", "total": "30"})
                             .status_code, 404)
        self.assertEqual(self.client.get(f"/measures/clients/{self.ben.code}/").status_code, 404)
        self.assertEqual(self.client.get(self.url(self.ben, "fields")).status_code, 404)
        self.assertEqual(MeasureResult.objects.count(), 0)

    def test_a_consultant_and_another_practice_get_404s(self):
        for member in (self.cora, self.charlie):
            self.login(member)
            self.assertEqual(self.post(self.ana, instrument="SRS", total="30").status_code, 404)
            self.assertEqual(self.client.get(f"/measures/clients/{self.ana.code}/").status_code, 404)
        self.assertEqual(MeasureResult.objects.count(), 0)

    def test_the_director_may_record_for_any_client_of_the_practice(self):
        self.login(self.dora)
        self.assertEqual(self.post(self.ben, instrument="SRS", total="38", taken_on="2026-01-05").status_code, 200)
        self.assertEqual(MeasureResult.objects.get().client, self.ben)

    def test_signed_out_visitors_are_sent_to_sign_in(self):
        r = self.post(self.ana, instrument="SRS", total="38")
        self.assertEqual(r.status_code, 302)
        self.assertIn("/login/", r["Location"])

    def test_a_clinician_does_not_see_scores_from_a_colleagues_episode(self):
        from stillhere.clients.models import Episode

        other = Episode.objects.create(practice=self.riverside, client=self.ana, clinician=self.bob,
                                       started=date(2025, 1, 1), ended=date(2025, 6, 1))
        MeasureResult.objects.create(practice=self.riverside, client=self.ana, episode=other, instrument="SRS",
                                     taken_on=date(2025, 2, 1), total=12)
        self.login(self.alice)
        r = self.client.get(f"/measures/clients/{self.ana.code}/")
        self.assertNotContains(r, "1 Feb 2025")
        self.login(self.dora)
        self.assertContains(self.client.get(f"/measures/clients/{self.ana.code}/"), "1 Feb 2025")


@time_machine.travel(NOW, tick=False)
class CheckinIntervalTestCase(BaseTestCase):
    def url(self, client):
        return f"/measures/clients/{client.code}/checkins/"

    def test_a_clinician_sets_a_shorter_interval_for_one_client_and_clears_it(self):
        from stillhere.measures.models import CheckinInterval

        self.login(self.alice)
        r = self.client.post(self.url(self.ana), {"every_sessions": "2"}, headers={"HX-Request": "true"})
        self.assertContains(r, "a reminder comes after 2 (set for this client)")
        self.assertEqual(CheckinInterval.objects.get(client=self.ana).every_sessions, 2)
        self.client.post(self.url(self.ana), {"clear": "1"}, headers={"HX-Request": "true"})
        self.assertFalse(CheckinInterval.objects.exists())
        self.assertEqual(list(AuditEvent.objects.filter(verb="checkin-interval-set").values_list("data", flat=True)),
                         [{"every_sessions": 2}, {"every_sessions": None}])

    def test_a_longer_interval_than_the_practice_default_is_refused(self):
        from stillhere.measures.models import CheckinInterval

        self.login(self.alice)
        r = self.client.post(self.url(self.ana), {"every_sessions": "9"}, headers={"HX-Request": "true"})
        self.assertContains(r, "Choose a whole number of sessions from 1 to 3 (shorter than the practice&#x27;s 4).")
        self.assertFalse(CheckinInterval.objects.exists())

