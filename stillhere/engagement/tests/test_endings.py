"""Planned endings and outcomes not yet recorded, through the real scan.

- An attended final session with nothing after it ends the episode as
  planned: the scan records the change and the episode's end, no outreach
  follows, and the practice figures count it as planned, not as a dropout.
- A past session still "scheduled" is an outcome not recorded yet: for the
  practice's outcome_days it is no miss, no lapse and no outreach.
"""

from datetime import date, datetime, timedelta, timezone

from stillhere.analytics.report import practice_report
from stillhere.clients.models import Appointment, Client, Episode
from stillhere.engagement.models import StateChange
from stillhere.engagement.scan import scan_practice
from stillhere.outreach.models import Sequence
from stillhere.outreach.round import tick_round as _tick_round
from stillhere.test import BaseTestCase

MON = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)   # a Monday
DAY = timedelta(days=1)


def tick_round(now):
    return _tick_round(lambda: now)


class EndingsTestCase(BaseTestCase):
    def setUp(self):
        self.client_ = Client.objects.create(practice=self.riverside, external_id="t-1", first_name="Tess",
                                             last_name="Tully", email="t@example.org", consent_email=True)
        self.ep = Episode.objects.create(practice=self.riverside, client=self.client_, clinician=self.alice,
                                         started=date(2026, 1, 5))
        # Eight weekly sessions, all attended, the last on MON.
        self.sessions = [self.appt(MON - timedelta(weeks=7 - i), "attended") for i in range(8)]

    def appt(self, start, status, booked=None, **kw):
        return Appointment.objects.create(practice=self.riverside, episode=self.ep, start=start, status=status,
                                          booked_at=booked or start - 7 * DAY, **kw)

    def scan(self, as_of):
        out = scan_practice(self.riverside, as_of)
        self.ep.refresh_from_db()
        return next((o for o in out.episodes if o["client_id"] == "t-1"), None)

    def last_change(self):
        return StateChange.objects.filter(episode=self.ep).latest("id")


class PlannedEndingTests(EndingsTestCase):
    def mark_final(self, appt):
        Appointment.objects.filter(pk=appt.pk).update(session_type=Appointment.SessionType.FINAL)

    def test_an_attended_final_session_ends_the_episode_as_planned(self):
        self.mark_final(self.sessions[-1])
        self.scan(MON + 2 * DAY)
        self.assertEqual((self.ep.state, self.ep.ended, self.ep.end_reason), ("ended_planned", MON.date(), "planned"))
        change = self.last_change()
        self.assertEqual((change.reason, change.at, change.source), ("planned", MON, "scan"))
        self.assertEqual(change.detail, "Final session on 2 Mar: ended as planned")

    def test_it_is_never_lapsed_nor_reached_out_to_and_a_later_scan_keeps_it(self):
        self.mark_final(self.sessions[-1])
        self.scan(MON + 2 * DAY)
        tick_round(MON + 2 * DAY)
        self.scan(MON + 90 * DAY)   # far past any lapse
        tick_round(MON + 90 * DAY)
        self.assertEqual(self.ep.state, "ended_planned")
        self.assertEqual(Sequence.objects.filter(episode=self.ep).count(), 0)
        self.assertEqual(StateChange.objects.filter(episode=self.ep).count(), 1)

    def test_the_practice_figures_count_it_as_planned_not_as_a_dropout(self):
        self.mark_final(self.sessions[-1])
        self.scan(MON + 2 * DAY)
        report = practice_report(self.riverside, date(2026, 1, 1), date(2026, 12, 31), MON + 30 * DAY)
        self.assertEqual((report.dropout.events, report.dropout.total), (0, 1))
        self.assertEqual(report.ended_by_reason, {"planned": 1})

    def test_a_final_session_not_yet_attended_ends_nothing(self):
        final = self.appt(MON + 7 * DAY, "scheduled", session_type="final")
        self.scan(MON + 2 * DAY)
        self.assertEqual((self.ep.state, self.ep.ended), ("active", None))
        Appointment.objects.filter(pk=final.pk).update(status="attended")
        self.scan(MON + 8 * DAY)
        self.assertEqual((self.ep.state, self.ep.ended), ("ended_planned", (MON + 7 * DAY).date()))

    def test_a_final_session_missed_ends_nothing_and_is_a_miss(self):
        self.appt(MON + 7 * DAY, "no_show", session_type="final")
        self.scan(MON + 8 * DAY)
        self.assertEqual((self.ep.state, self.ep.ended), ("missed", None))

    def test_sessions_attended_after_the_final_one_mean_it_was_not_the_last(self):
        self.mark_final(self.sessions[-3])
        self.scan(MON + 2 * DAY)
        self.assertEqual((self.ep.state, self.ep.ended), ("active", None))

    def test_a_session_still_booked_after_the_final_one_keeps_the_episode_open(self):
        self.mark_final(self.sessions[-1])
        self.appt(MON + 21 * DAY, "scheduled", booked=MON + DAY)
        self.scan(MON + 2 * DAY)
        self.assertEqual((self.ep.state, self.ep.ended), ("active", None))

    def test_a_booking_after_the_final_one_that_was_cancelled_does_not(self):
        self.mark_final(self.sessions[-1])
        self.appt(MON + 7 * DAY, "cancelled", cancelled_at=MON + DAY)
        self.scan(MON + 2 * DAY)
        self.assertEqual(self.ep.state, "ended_planned")

    def test_a_left_over_booking_missed_after_the_final_session_brings_no_outreach(self):
        self.mark_final(self.sessions[-1])
        self.appt(MON + 7 * DAY, "no_show")
        self.scan(MON + 8 * DAY)
        tick_round(MON + 8 * DAY)
        self.assertEqual((self.ep.state, self.ep.ended), ("ended_planned", MON.date()))
        self.assertEqual(Sequence.objects.filter(episode=self.ep).count(), 0)

    def test_a_session_attended_after_a_scan_ended_it_opens_the_episode_again(self):
        self.mark_final(self.sessions[-1])
        self.scan(MON + 2 * DAY)
        self.appt(MON + 14 * DAY, "attended", booked=MON + 7 * DAY)   # same episode: the export says so
        self.scan(MON + 15 * DAY)
        self.assertEqual((self.ep.state, self.ep.ended, self.ep.end_reason), ("re_engaged", None, ""))
        change = self.last_change()
        self.assertEqual((change.reason, change.at), ("after_final_session", MON + 14 * DAY))
        self.assertEqual(change.detail, "Came to a session after the final session on 2 Mar: the episode continues")

    def test_a_booking_after_a_scan_ended_it_opens_the_episode_again(self):
        self.mark_final(self.sessions[-1])
        self.scan(MON + 2 * DAY)
        self.appt(MON + 21 * DAY, "scheduled", booked=MON + 9 * DAY)
        self.scan(MON + 10 * DAY)
        self.assertEqual((self.ep.state, self.ep.ended), ("re_engaged", None))
        self.assertEqual(self.last_change().detail, "Booked for 23 Mar after the final session on 2 Mar: "
                                                    "the episode continues")

    def test_an_ending_a_clinician_recorded_is_never_reopened_by_a_scan(self):
        from stillhere.clients.endings import end_episode

        end_episode(self.alice, self.ep, "planned", MON.date(), now=MON + DAY)
        self.appt(MON + 14 * DAY, "attended", booked=MON + 7 * DAY)
        self.scan(MON + 15 * DAY)
        self.assertEqual((self.ep.state, self.ep.ended, self.ep.end_reason), ("ended_planned", MON.date(), "planned"))

    def test_a_final_session_ends_a_missed_episode_and_stops_its_outreach(self):
        self.appt(MON + 7 * DAY, "no_show")
        self.scan(MON + 12 * DAY)
        tick_round(MON + 12 * DAY)
        seq = Sequence.objects.get(episode=self.ep)
        self.appt(MON + 14 * DAY, "attended", booked=MON + 12 * DAY, session_type="final")
        self.scan(MON + 15 * DAY)
        tick_round(MON + 15 * DAY)
        seq.refresh_from_db()
        self.assertEqual((self.ep.state, seq.status), ("ended_planned", "stopped"))


class OutcomeNotRecordedTests(EndingsTestCase):
    """Cadence is weekly, so a lapse comes 21 days after the last session."""

    def test_a_past_session_still_scheduled_holds_back_a_lapse_for_the_practices_days(self):
        self.appt(MON + 21 * DAY, "scheduled")
        row = self.scan(MON + 23 * DAY)
        self.assertEqual(self.ep.state, "active")
        self.assertEqual(row["upcoming"], [])   # a past slot is no booking
        row = self.scan(MON + 29 * DAY)        # 8 days later: it counts as usual
        self.assertEqual(self.ep.state, "lapsed")

    def test_without_the_unrecorded_session_the_same_gap_is_a_lapse(self):
        self.scan(MON + 23 * DAY)
        self.assertEqual(self.ep.state, "lapsed")

    def test_the_number_of_days_is_the_practices_setting(self):
        self.riverside.outcome_days = 1
        self.riverside.save()
        self.appt(MON + 21 * DAY, "scheduled")
        self.scan(MON + 23 * DAY)
        self.assertEqual(self.ep.state, "lapsed")

    def test_a_miss_followed_by_an_unrecorded_session_is_not_reached_out_to_yet(self):
        self.appt(MON + 7 * DAY, "no_show")
        self.appt(MON + 14 * DAY, "scheduled")   # booked long before: the client may have come
        self.scan(MON + 15 * DAY)
        tick_round(MON + 15 * DAY)
        self.assertEqual(self.ep.state, "active")
        self.assertFalse(StateChange.objects.filter(episode=self.ep).exists())
        self.assertEqual(Sequence.objects.filter(episode=self.ep).count(), 0)
        self.scan(MON + 22 * DAY)                # no outcome after 7 days: the miss stands
        self.assertEqual((self.ep.state, self.last_change().reason), ("missed", "no_show"))

    def test_recording_the_outcome_as_attended_ends_the_wait(self):
        slot = self.appt(MON + 21 * DAY, "scheduled")
        self.scan(MON + 23 * DAY)
        Appointment.objects.filter(pk=slot.pk).update(status="attended")
        self.scan(MON + 24 * DAY)
        self.assertEqual(self.ep.state, "active")
        self.scan(MON + 30 * DAY)
        self.assertEqual(self.ep.state, "active")

    def test_a_safety_check_is_never_held_back(self):
        Client.objects.filter(pk=self.client_.pk).update(safety_concern=True, safety_since=date(2026, 2, 1))
        self.appt(MON + 7 * DAY, "no_show")
        self.appt(MON + 14 * DAY, "scheduled")
        self.scan(MON + 15 * DAY)
        self.assertEqual((self.ep.state, self.last_change().safety_check), ("missed", True))

    def test_an_unrecorded_session_after_the_final_one_holds_the_ending_back(self):
        Appointment.objects.filter(pk=self.sessions[-1].pk).update(session_type="final")
        self.appt(MON + 7 * DAY, "scheduled")
        self.scan(MON + 8 * DAY)
        self.assertEqual((self.ep.state, self.ep.ended), ("active", None))
        self.scan(MON + 15 * DAY)   # after a week it counts as usual: the ending stands
        self.assertEqual((self.ep.state, self.ep.ended), ("ended_planned", MON.date()))


class OutcomeDaysSettingTests(BaseTestCase):
    def test_the_director_sets_the_days_on_the_engagement_settings_page(self):
        self.login(self.dora)
        r = self.client.get("/settings/engagement/")
        self.assertContains(r, "Days to wait for a session&#x27;s outcome to be recorded")
        self.client.post("/settings/engagement/", {"waiting_days": "3", "lapse_factor": "2", "outcome_days": "40"})
        self.riverside.refresh_from_db()
        self.assertEqual(self.riverside.outcome_days, 7)   # refused: 1 to 30
        self.client.post("/settings/engagement/", {"waiting_days": "3", "lapse_factor": "2", "outcome_days": "10"})
        self.riverside.refresh_from_db()
        self.assertEqual(self.riverside.outcome_days, 10)
