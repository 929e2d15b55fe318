from stillhere.audit.models import AuditEvent
from stillhere.clients.models import Episode
from stillhere.test import BaseTestCase


class ClientDetailTestCase(BaseTestCase):
    def url(self, client):
        return f"/clients/{client.code}/"

    def test_a_clinician_sees_their_client_and_the_timeline(self):
        self.login(self.alice)
        r = self.client.get(self.url(self.ana))
        self.assertContains(r, "Ana Abbott")
        self.assertContains(r, "No-show")
        self.assertContains(r, "session 1")
        # shown in the practice's time zone (London is UTC+0 in January)
        self.assertContains(r, "Mon 5 Jan 2026, 10:00")

    def test_another_clinicians_client_is_a_404(self):
        self.login(self.alice)
        self.assertEqual(self.client.get(self.url(self.ben)).status_code, 404)

    def test_the_director_sees_any_client_of_the_practice(self):
        self.login(self.dora)
        self.assertEqual(self.client.get(self.url(self.ben)).status_code, 200)

    def test_a_consultant_gets_a_404(self):
        self.login(self.cora)
        self.assertEqual(self.client.get(self.url(self.ana)).status_code, 404)

    def test_another_practice_gets_a_404_even_as_director(self):
        self.charlie.role = "director"   # before signing in: a director passes the second step
        self.charlie.save()
        self.login(self.charlie)
        self.assertEqual(self.client.get(self.url(self.ana)).status_code, 404)

    def test_every_view_is_audited_and_refusals_are_not(self):
        self.login(self.alice)
        self.client.get(self.url(self.ana))
        self.client.get(self.url(self.ana))
        self.client.get(self.url(self.ben))
        events = AuditEvent.objects.filter(verb="client-viewed")
        self.assertEqual(events.count(), 2)
        self.assertEqual({e.client_id for e in events}, {self.ana.id})
        self.assertEqual(events[0].actor, self.alice.user)

    def test_a_returning_client_shows_both_episodes_linked(self):
        first = self.ana.episodes.get()
        first.ended, first.end_reason, first.state = "2026-02-20", "no_goodbye", "ended_no_goodbye"
        first.save()
        Episode.objects.create(practice=self.riverside, client=self.ana, clinician=self.alice,
                               started="2028-03-01", previous=first, state="returned")
        self.login(self.alice)
        r = self.client.get(self.url(self.ana))
        self.assertContains(r, "Ended without goodbye")
        self.assertContains(r, "returned after an earlier episode")

    def test_the_url_carries_no_client_identifiers(self):
        self.assertNotIn(self.ana.external_id, self.url(self.ana))
        self.assertNotIn("Ana", self.url(self.ana))

    def test_a_malformed_code_is_a_404(self):
        self.login(self.alice)
        self.assertEqual(self.client.get("/clients/not-a-uuid/").status_code, 404)
