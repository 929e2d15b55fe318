"""Check-in reminders: no alliance rating or progress conversation for N sessions."""

from datetime import date, datetime, timedelta, timezone

import time_machine

from stillhere.audit.models import AuditEvent
from stillhere.clients.models import Appointment, SessionMarker
from stillhere.measures.checkins import checkin_statuses, due_checkins, sessions_since_check
from stillhere.measures.custom import save_config
from stillhere.measures.models import CheckinInterval
from stillhere.measures.record import record_result
from stillhere.test import BaseTestCase

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)  # a Monday morning


def test_it_counts_sessions_since_the_last_check():
    d = date(2026, 1, 1)
    assert sessions_since_check([]) == (0, None)
    assert sessions_since_check([(d, False), (d, False)]) == (2, None)
    assert sessions_since_check([(d, False), (d + timedelta(7), True), (d + timedelta(14), False)]) == \
        (1, d + timedelta(7))


@time_machine.travel(NOW, tick=False)
class CheckinTestCase(BaseTestCase):
    def setUp(self):
        # Ana: weekly sessions from 5 Jan (one attended, one no-show in the cast),
        # then five more attended, and one booked for Wednesday.
        self.ep = self.ana.episodes.get()
        self.sessions = [self.attend(date(2026, 1, 19) + timedelta(weeks=i)) for i in range(5)]
        self.next = Appointment.objects.create(practice=self.riverside, episode=self.ep, status="scheduled",
                                               start=datetime(2026, 3, 4, 14, 0, tzinfo=timezone.utc))

    def attend(self, day):
        return Appointment.objects.create(practice=self.riverside, episode=self.ep, status="attended",
                                          start=datetime(day.year, day.month, day.day, 10, tzinfo=timezone.utc))

    def status(self):
        return checkin_statuses(self.ana.episodes.all(), NOW, self.riverside)[self.ep.pk]

    def test_four_sessions_without_a_rating_or_check_in_makes_a_reminder(self):
        st = self.status()
        assert (st.since, st.due, st.last_checked) == (6, True, None)
        assert st.reason(self.riverside.tz) == ("No alliance rating or progress check-in yet, 6 sessions in. Plan "
                                                "one for the next session, Wed 4 Mar at 14:00.")

    def test_an_alliance_rating_counts_as_a_check_in(self):
        record_result(self.ana, "SRS", total=38, appointment=self.sessions[2])
        st = self.status()
        assert (st.since, st.due, st.last_checked) == (2, False, date(2026, 2, 2))

    def test_an_outcome_rating_alone_does_not(self):
        record_result(self.ana, "ORS", total=20, appointment=self.sessions[4])
        assert self.status().due

    def test_a_progress_conversation_marker_counts_as_a_check_in(self):
        SessionMarker.objects.create(appointment=self.sessions[1], kind=SessionMarker.Kind.CHECKIN)
        st = self.status()
        assert (st.since, st.due) == (3, False)
        assert st.reason() == ""

    def test_the_reminder_names_the_last_check_in(self):
        SessionMarker.objects.create(appointment=self.sessions[0], kind=SessionMarker.Kind.CHECKIN)
        assert self.status().reason(self.riverside.tz).startswith(
            "No alliance rating or progress check-in for 4 sessions (the last was on 19 Jan 2026).")

    def test_a_shorter_interval_for_one_client_reminds_sooner(self):
        record_result(self.ana, "SRS", total=38, appointment=self.sessions[2])
        CheckinInterval.objects.create(client=self.ana, every_sessions=2, set_by=self.alice)
        st = self.status()
        assert (st.every, st.own_interval, st.due) == (2, True, True)

    def test_the_practice_can_change_the_default(self):
        record_result(self.ana, "SRS", total=38, appointment=self.sessions[2])
        save_config(self.riverside, "[checkins]\nevery_sessions = 2\n")
        assert self.status().due

    def test_the_due_list_shows_clients_with_a_session_this_week(self):
        rows = due_checkins(self.alice, NOW)
        assert [(ep.client, st.next_session) for ep, st in rows] == [(self.ana, self.next.start)]
        assert due_checkins(self.alice, NOW, within=timedelta(days=1)) == []
        assert due_checkins(self.bob, NOW) == []
        assert due_checkins(self.cora, NOW) == []

    def test_the_due_page_lists_them_for_the_clinician_only(self):
        self.login(self.alice)
        r = self.client.get("/measures/checkins/")
        self.assertContains(r, "Ana Abbott")
        self.assertContains(r, "Plan one for the next session, Wed 4 Mar at 14:00.")
        self.assertEqual(AuditEvent.objects.get(verb="checkins-due-viewed").data,
                         {"count": 1, "clients": [self.ana.pk]})
        for member in (self.bob, self.cora, self.charlie):
            self.login(member)
            r = self.client.get("/measures/checkins/")
            self.assertNotContains(r, "Ana Abbott")
            self.assertContains(r, "No check-ins are due this week.")

    def test_the_client_page_shows_the_reminder(self):
        self.login(self.alice)
        r = self.client.get(f"/clients/{self.ana.code}/")
        self.assertContains(r, "Check-in due.")
        self.assertContains(r, "No alliance rating or progress check-in yet, 6 sessions in.")


@time_machine.travel(datetime(2026, 3, 4, 15, 0, tzinfo=timezone.utc), tick=False)
class CheckinHeldTestCase(BaseTestCase):
    def setUp(self):
        self.ep = self.ana.episodes.get()
        # Today's session, not yet marked attended.
        self.today = Appointment.objects.create(practice=self.riverside, episode=self.ep, status="scheduled",
                                                start=datetime(2026, 3, 4, 14, 0, tzinfo=timezone.utc))

    def url(self, client):
        return f"/measures/clients/{client.code}/checkin-held/"

    def test_a_clinician_records_a_check_in_conversation_on_todays_session_once(self):
        self.login(self.alice)
        r = self.client.post(self.url(self.ana), headers={"HX-Request": "true"})
        self.assertContains(r, "Check-in conversation recorded for today&#x27;s session.")
        self.client.post(self.url(self.ana), headers={"HX-Request": "true"})
        marker = SessionMarker.objects.get(appointment=self.today)
        self.assertEqual((marker.kind, marker.created_by), ("checkin", self.alice))
        self.assertEqual(AuditEvent.objects.filter(verb="checkin-held", client=self.ana).count(), 1)
        # once the session is marked attended, it resets the count
        self.today.status = "attended"
        self.today.save()
        st = checkin_statuses(self.ana.episodes.all(), datetime(2026, 3, 5, tzinfo=timezone.utc), self.riverside)
        self.assertEqual(st[self.ep.pk].since, 0)

    def test_without_a_session_today_it_says_so_and_records_nothing(self):
        self.today.delete()
        self.login(self.alice)
        r = self.client.post(self.url(self.ana), headers={"HX-Request": "true"})
        self.assertContains(r, "There is no session today to record the check-in on.")
        self.assertFalse(SessionMarker.objects.exists())

    def test_only_members_who_see_the_client_may_record_it(self):
        for member in (self.bob, self.cora, self.charlie):
            self.login(member)
            self.assertEqual(self.client.post(self.url(self.ana)).status_code, 404)
        self.assertFalse(SessionMarker.objects.exists())

    def test_a_rating_at_the_end_of_a_session_not_yet_marked_attended_belongs_to_it(self):
        row = record_result(self.ana, "SRS", total=38)
        self.assertEqual(row.appointment, self.today)
