from stillhere.audit.models import AuditEvent
from stillhere.test import BaseTestCase


class ClientListTestCase(BaseTestCase):
    def test_a_clinician_lists_only_their_own_clients(self):
        self.login(self.alice)
        r = self.client.get("/clients/")
        self.assertContains(r, "Ana Abbott")
        self.assertNotContains(r, "Ben Baker")
        self.assertNotContains(r, "Cleo")

    def test_the_director_lists_the_whole_practice(self):
        self.login(self.dora)
        r = self.client.get("/clients/")
        self.assertContains(r, "Ana Abbott")
        self.assertContains(r, "Ben Baker")
        self.assertNotContains(r, "Cleo Costa")

    def test_a_consultant_sees_no_names(self):
        self.login(self.cora)
        r = self.client.get("/clients/")
        self.assertContains(r, "de-identified")
        self.assertNotContains(r, "Ana")
        self.assertNotContains(r, "Abbott")

    def test_another_practice_sees_none_of_riverside(self):
        self.login(self.charlie)
        r = self.client.get("/clients/")
        self.assertContains(r, "Cleo Costa")
        self.assertNotContains(r, "Abbott")

    def test_search_posts_its_words_instead_of_putting_them_in_the_address(self):
        self.login(self.dora)
        r = self.client.get("/clients/")
        self.assertContains(r, 'method="post" role="search"')
        self.assertContains(r, 'action="/clients/find/"')
        r = self.client.post("/clients/find/", {"q": "ben"})
        self.assertContains(r, "Ben Baker")
        self.assertNotContains(r, "Ana Abbott")

    def test_listing_is_audited_with_the_clients_shown(self):
        self.login(self.dora)
        self.client.get("/clients/")
        event = AuditEvent.objects.get(verb="client-list-viewed")
        self.assertEqual(event.actor, self.dora.user)
        self.assertEqual(event.data, {"count": 2, "clients": sorted([self.ana.pk, self.ben.pk])})

    def test_a_missed_session_shows_in_the_list(self):
        self.login(self.alice)
        r = self.client.get("/clients/")
        # one no-show on Ana's episode, and no future booking
        self.assertContains(r, "<td>1</td>", html=True)
        self.assertContains(r, "none")
