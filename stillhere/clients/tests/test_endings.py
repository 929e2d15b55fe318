"""Recording how an episode ended, from the client page."""

from datetime import date, datetime, timedelta, timezone

import time_machine

from stillhere.audit.models import AuditEvent
from stillhere.clients.models import Appointment, Episode
from stillhere.engagement.models import StateChange
from stillhere.engagement.scan import scan_practice
from stillhere.outreach.models import Sequence
from stillhere.outreach.round import tick_round
from stillhere.test import BaseTestCase

NOW = datetime(2026, 2, 2, 12, tzinfo=timezone.utc)


@time_machine.travel(NOW, tick=False)
class EndingPageTestCase(BaseTestCase):
    def setUp(self):
        self.ep = Episode.objects.get(client=self.ana)

    def url(self, client=None, episode=None):
        client, episode = client or self.ana, episode or self.ep
        return f"/clients/{client.code}/episodes/{episode.pk}/ending/"

    def post(self, reason="planned", ended_on="2026-01-30", note=""):
        return self.client.post(self.url(), {"reason": reason, "ended_on": ended_on, "note": note})

    def test_the_client_page_offers_it_to_the_clinician(self):
        self.login(self.alice)
        r = self.client.get(f"/clients/{self.ana.code}/")
        self.assertContains(r, "Record how therapy ended")
        self.assertContains(r, self.url())

    def test_the_form_names_the_three_endings_in_plain_words(self):
        self.login(self.alice)
        r = self.client.get(self.url())
        for words in ("Planned ending", "Ended by the client", "They said goodbye", "Referred on", "On which day"):
            self.assertContains(r, words)
        self.assertContains(r, 'value="2026-01-05"')   # the last attended session, by default

    def test_a_planned_ending_ends_the_episode_through_change_state(self):
        self.login(self.alice)
        r = self.post(note="Goals met; we agreed to finish.")
        self.assertRedirects(r, f"/clients/{self.ana.code}/", fetch_redirect_response=False)
        self.ep.refresh_from_db()
        self.assertEqual((self.ep.state, self.ep.ended, self.ep.end_reason),
                         ("ended_planned", date(2026, 1, 30), "planned"))
        change = StateChange.objects.get(episode=self.ep)
        self.assertEqual((change.source, change.by, change.reason, change.note),
                         ("clinician", self.alice, "planned", "Goals met; we agreed to finish."))
        event = AuditEvent.objects.get(verb="episode-ended")
        self.assertEqual((event.actor, event.target_id, event.data), (self.alice.user, str(self.ep.pk),
                                                                       {"reason": "planned"}))

    def test_said_goodbye_and_referred_on_have_their_own_states(self):
        self.login(self.alice)
        self.post(reason="by_client")
        self.ep.refresh_from_db()
        self.assertEqual((self.ep.state, self.ep.end_reason), ("ended_by_client", "by_client"))
        self.login(self.bob)
        ben_ep = Episode.objects.get(client=self.ben)
        self.client.post(self.url(self.ben, ben_ep), {"reason": "referred", "ended_on": "2026-02-01"})
        ben_ep.refresh_from_db()
        self.assertEqual((ben_ep.state, ben_ep.end_reason), ("ended_planned", "referred"))

    def test_it_stops_running_outreach_at_once(self):
        scan_practice(self.riverside, NOW)
        tick_round(lambda: NOW)
        seq = Sequence.objects.get(episode=self.ep)
        self.assertEqual(seq.status, "running")
        self.login(self.alice)
        self.post()
        seq.refresh_from_db()
        self.assertEqual((seq.status, seq.stop_reason), ("stopped", "the episode ended"))
        self.assertFalse(seq.steps.filter(status__in=["scheduled", "awaiting_approval", "approved"]).exists())

    def test_a_later_scan_never_reopens_it(self):
        self.login(self.alice)
        self.post()
        Appointment.objects.create(practice=self.riverside, episode=self.ep, start=NOW - timedelta(days=1),
                                   status="no_show")
        scan_practice(self.riverside, NOW + timedelta(days=5))
        tick_round(lambda: NOW + timedelta(days=5))
        self.ep.refresh_from_db()
        self.assertEqual((self.ep.state, self.ep.end_reason), ("ended_planned", "planned"))
        self.assertEqual(StateChange.objects.filter(episode=self.ep).count(), 1)
        self.assertFalse(Sequence.objects.filter(episode=self.ep).exists())

    def test_a_day_still_to_come_or_before_a_later_session_is_refused_in_words(self):
        self.login(self.alice)
        r = self.post(ended_on="2026-02-10")
        self.assertContains(r, "cannot be on a day still to come")
        r = self.post(ended_on="2026-01-01")
        self.assertContains(r, "the ending cannot be before that")
        Appointment.objects.create(practice=self.riverside, episode=self.ep, start=datetime(2026, 1, 26, 10,
                                   tzinfo=timezone.utc), status="attended")
        r = self.post(ended_on="2026-01-20")
        self.assertContains(r, "They came to a session on 26 Jan 2026, after that day.")
        r = self.post(reason="no_goodbye")
        self.assertContains(r, "is not one of the available choices")
        self.ep.refresh_from_db()
        self.assertIsNone(self.ep.ended)

    def test_only_the_clients_clinician_or_a_director_may_record_it(self):
        self.login(self.bob)
        self.assertEqual(self.post().status_code, 404)       # not his client: he cannot see them
        self.login(self.adam)
        self.assertEqual(self.post().status_code, 403)       # sees the practice, decides nothing clinical
        self.login(self.cora)
        self.assertEqual(self.post().status_code, 404)
        self.login(self.charlie)
        self.assertEqual(self.post().status_code, 404)
        self.ep.refresh_from_db()
        self.assertIsNone(self.ep.ended)
        self.login(self.dora)
        self.post()
        self.ep.refresh_from_db()
        self.assertEqual(self.ep.state, "ended_planned")

    def test_an_ended_episode_goes_back_to_the_client_page(self):
        self.login(self.alice)
        self.post()
        r = self.client.get(self.url())
        self.assertRedirects(r, f"/clients/{self.ana.code}/", fetch_redirect_response=False)
        r = self.client.get(f"/clients/{self.ana.code}/")
        self.assertNotContains(r, "Record how therapy ended")
        self.assertContains(r, "Ended as planned")
