from stillhere.accounts.permissions import visible_clients, visible_episodes
from stillhere.test import BaseTestCase


class VisibleClientsTestCase(BaseTestCase):
    def names(self, member):
        return sorted(c.first_name for c in visible_clients(member))

    def test_a_clinician_sees_only_their_own_caseload(self):
        self.assertEqual(self.names(self.alice), ["Ana"])
        self.assertEqual(self.names(self.bob), ["Ben"])

    def test_director_and_admin_see_the_whole_practice_and_nothing_else(self):
        self.assertEqual(self.names(self.dora), ["Ana", "Ben"])
        self.assertEqual(self.names(self.adam), ["Ana", "Ben"])

    def test_a_consultant_sees_no_identifiable_client(self):
        self.assertEqual(self.names(self.cora), [])
        self.assertEqual(visible_episodes(self.cora).count(), 0)

    def test_another_practice_sees_nothing_of_riverside(self):
        self.assertEqual(self.names(self.charlie), ["Cleo"])

    def test_a_clinician_sees_a_client_they_hold_any_episode_of(self):
        from stillhere.clients.models import Episode

        Episode.objects.create(practice=self.riverside, client=self.ben, clinician=self.alice,
                               started="2026-03-01")
        self.assertEqual(self.names(self.alice), ["Ana", "Ben"])
        # ...but only the episodes they hold.
        self.assertEqual(visible_episodes(self.alice).filter(client=self.ben).count(), 1)
