"""Each engagement rule on a small, hand-made history, scanned as of a moment."""

from datetime import date, datetime, timedelta, timezone

from stillhere.clients.models import Appointment, Client, Episode, SessionMarker
from stillhere.engagement.models import PlannedBreak, StateChange
from stillhere.engagement.scan import scan_practice
from stillhere.engagement.transitions import change_state
from stillhere.test import BaseTestCase

MON = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)   # a Monday
DAY = timedelta(days=1)


class RulesTestCase(BaseTestCase):
    def setUp(self):
        self.client_ = Client.objects.create(practice=self.riverside, external_id="t-1", first_name="Tess",
                                             last_name="Tully")
        self.ep = Episode.objects.create(practice=self.riverside, client=self.client_, clinician=self.alice,
                                         started=date(2026, 1, 5))
        # Eight weekly sessions, all attended, the last on MON.
        for i in range(8):
            self.appt(MON - timedelta(weeks=7 - i), "attended")

    def appt(self, start, status, booked=None, **kw):
        return Appointment.objects.create(practice=self.riverside, episode=self.ep, start=start, status=status,
                                          booked_at=booked or start - 7 * DAY, **kw)

    def scan(self, as_of):
        out = scan_practice(self.riverside, as_of)
        self.ep.refresh_from_db()
        return next(o for o in out.episodes if o["client_id"] == "t-1")

    def last_change(self):
        return StateChange.objects.filter(episode=self.ep).latest("id")

    def test_a_steady_client_is_active(self):
        self.appt(MON + 7 * DAY, "scheduled")
        row = self.scan(MON + 2 * DAY)
        self.assertEqual(self.ep.state, "active")
        self.assertEqual(row["band"], "low")

    def test_a_no_show_starts_the_missed_state_at_the_session_time(self):
        self.appt(MON + 7 * DAY, "no_show")
        row = self.scan(MON + 8 * DAY)
        self.assertEqual(self.ep.state, "missed")
        change = self.last_change()
        self.assertEqual((change.reason, change.at), ("no_show", MON + 7 * DAY))
        self.assertEqual(change.detail, "No-show on 9 Mar, no word since")
        self.assertFalse(change.safety_check)
        self.assertIn("No-show on 9 Mar, no word since", row["reasons"])

    def test_a_late_cancel_counts_as_missed(self):
        self.appt(MON + 7 * DAY, "late_cancel", cancelled_at=MON + 7 * DAY - timedelta(hours=3))
        self.scan(MON + 8 * DAY)
        self.assertEqual((self.ep.state, self.last_change().reason), ("missed", "late_cancel"))

    def test_a_safety_concern_turns_a_no_show_into_a_same_day_check(self):
        Client.objects.filter(pk=self.client_.pk).update(safety_concern=True, safety_since=date(2026, 2, 1))
        self.appt(MON + 7 * DAY, "no_show")
        self.scan(MON + 7 * DAY + timedelta(hours=2))
        change = self.last_change()
        self.assertEqual((change.new_state, change.reason, change.safety_check), ("missed", "safety_no_show", True))
        self.assertIn("safety today", change.detail)

    def test_facts_after_the_as_of_time_are_never_used(self):
        self.appt(MON + 7 * DAY, "no_show")
        self.scan(MON + 7 * DAY - timedelta(hours=1))
        self.assertNotEqual(self.ep.state, "missed")
        self.assertEqual(self.ep.state, "active")

    def test_coming_back_after_a_no_show_is_re_engagement(self):
        self.appt(MON + 7 * DAY, "no_show")
        self.scan(MON + 8 * DAY)
        self.appt(MON + 14 * DAY, "attended", booked=MON + 9 * DAY)
        self.scan(MON + 15 * DAY)
        change = self.last_change()
        self.assertEqual((change.old_state, change.new_state, change.reason), ("missed", "re_engaged", "attended"))

    def test_booking_again_after_a_no_show_is_re_engagement(self):
        self.appt(MON + 7 * DAY, "no_show")
        self.scan(MON + 8 * DAY)
        self.appt(MON + 21 * DAY, "scheduled", booked=MON + 9 * DAY)
        self.scan(MON + 10 * DAY)
        self.assertEqual((self.ep.state, self.last_change().reason), ("re_engaged", "rebooked"))

    def test_a_gap_beyond_the_clients_rhythm_is_a_lapse(self):
        # weekly rhythm, lapse factor 2 -> but never less than 21 days
        row = self.scan(MON + 20 * DAY)
        self.assertNotEqual(self.ep.state, "lapsed")
        row = self.scan(MON + 22 * DAY)
        self.assertEqual(self.ep.state, "lapsed")
        change = self.last_change()
        self.assertEqual(change.reason, "gap_beyond_cadence")
        self.assertEqual(change.at, MON + 21 * DAY)
        self.assertEqual(change.detail, "22 days since the last session; usual gap is 7 days; nothing booked")
        self.assertIn("Nothing booked", row["reasons"])

    def test_a_planned_break_suppresses_the_lapse(self):
        PlannedBreak.objects.create(practice=self.riverside, episode=self.ep, starts=date(2026, 3, 3),
                                    ends=date(2026, 4, 5), reason="Holiday")
        self.scan(MON + 25 * DAY)
        self.assertNotEqual(self.ep.state, "lapsed")

    def test_a_cancel_without_rebooking_is_watched_before_it_is_a_lapse(self):
        self.appt(MON + 7 * DAY, "cancelled", cancelled_at=MON + 5 * DAY)
        self.scan(MON + 6 * DAY)
        self.assertEqual((self.ep.state, self.last_change().reason), ("watch", "cancel_no_rebook"))
        self.scan(MON + 23 * DAY)
        self.assertEqual((self.ep.state, self.last_change().reason), ("lapsed", "cancel_no_rebook"))

    def test_an_ended_episode_takes_its_ended_state_and_keeps_it(self):
        Episode.objects.filter(pk=self.ep.pk).update(ended=date(2026, 3, 3), end_reason="planned")
        self.scan(MON + 3 * DAY)
        self.assertEqual(self.ep.state, "ended_planned")
        self.appt(MON + 7 * DAY, "no_show")
        self.scan(MON + 8 * DAY)
        self.assertEqual(self.ep.state, "ended_planned")

    def test_reaching_out_is_left_to_outreach_until_the_client_answers(self):
        self.appt(MON + 7 * DAY, "no_show")
        self.scan(MON + 8 * DAY)
        change_state(self.ep, "reaching_out", "outreach_started", at=MON + 10 * DAY, source="outreach")
        self.scan(MON + 30 * DAY)
        self.assertEqual(self.ep.state, "reaching_out")
        self.appt(MON + 35 * DAY, "scheduled", booked=MON + 31 * DAY)
        self.scan(MON + 32 * DAY)
        self.assertEqual(self.ep.state, "re_engaged")

    def test_a_clinician_override_holds_until_something_new_happens(self):
        self.appt(MON + 7 * DAY, "no_show")
        self.scan(MON + 8 * DAY)
        change_state(self.ep, "active", "override", source="clinician", by=self.alice, at=MON + 8 * DAY,
                     note="She texted me; coming next week.")
        self.scan(MON + 9 * DAY)
        self.assertEqual(self.ep.state, "active")
        self.appt(MON + 14 * DAY, "no_show", booked=MON + 8 * DAY + timedelta(hours=1))
        self.scan(MON + 15 * DAY)
        self.assertEqual(self.ep.state, "missed")

    def test_a_returning_client_is_returned_until_their_first_session(self):
        Episode.objects.filter(pk=self.ep.pk).update(ended=date(2026, 3, 20), end_reason="no_goodbye",
                                                    state="ended_no_goodbye")
        new = Episode.objects.create(practice=self.riverside, client=self.client_, clinician=self.alice,
                                     started=date(2028, 4, 3), previous=self.ep, state="returned")
        Appointment.objects.create(practice=self.riverside, episode=new, status="scheduled",
                                   start=datetime(2028, 4, 10, 10, tzinfo=timezone.utc),
                                   booked_at=datetime(2028, 4, 3, 10, tzinfo=timezone.utc))
        scan_practice(self.riverside, datetime(2028, 4, 5, tzinfo=timezone.utc))
        new.refresh_from_db()
        self.assertEqual(new.state, "returned")
        Appointment.objects.filter(episode=new).update(status="attended", session_number=1)
        scan_practice(self.riverside, datetime(2028, 4, 11, tzinfo=timezone.utc))
        new.refresh_from_db()
        self.assertEqual(new.state, "active")

    def test_a_hard_session_and_a_falling_rating_raise_the_risk_with_reasons(self):
        from stillhere.measures.models import MeasureResult

        self.appt(MON + 7 * DAY, "scheduled")
        calm = self.scan(MON + DAY)
        last = Appointment.objects.filter(episode=self.ep, status="attended").latest("start")
        SessionMarker.objects.create(appointment=last, kind="hard_session")
        for days, total in ((-7, 38.0), (0, 33.0)):
            MeasureResult.objects.create(practice=self.riverside, client=self.client_, episode=self.ep,
                                         instrument="SRS", taken_on=(MON + days * DAY).date(), total=total)
        tense = self.scan(MON + DAY)
        self.assertGreater(tense["risk"], 2 * calm["risk"])
        self.assertIn("Session rating fell from 38 to 33", tense["reasons"] + [])
        self.assertIn("Session rating 33, below 36", tense["reasons"])

    def test_scanning_twice_changes_nothing_the_second_time(self):
        self.appt(MON + 7 * DAY, "no_show")
        self.scan(MON + 8 * DAY)
        n = StateChange.objects.count()
        self.scan(MON + 8 * DAY)
        self.assertEqual(StateChange.objects.count(), n)

    def test_upcoming_appointments_get_a_no_show_risk(self):
        self.appt(MON + 7 * DAY, "scheduled", booked=MON - 35 * DAY, external_id="far")
        self.appt(MON + 14 * DAY, "scheduled", booked=MON + DAY, external_id="near")
        row = self.scan(MON + 2 * DAY)
        ups = {u["appointment_id"]: u for u in row["upcoming"]}
        self.assertEqual(set(ups), {"far", "near"})
        self.assertGreater(ups["far"]["noshow_risk"], ups["near"]["noshow_risk"])
        self.assertIn("Booked 42 days ahead", ups["far"]["reasons"])
        self.assertTrue(0 < ups["near"]["noshow_risk"] < 0.2)
