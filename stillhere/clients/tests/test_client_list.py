from django.test import TransactionTestCase

from stillhere.audit.models import AuditEvent
from stillhere.test import BaseTestCase, make_client, make_member


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


class ClientListPagesTestCase(BaseTestCase):
    """A long list comes 50 a page, in name order, with a pager a keyboard
    and a screen reader can use; only the page's clients are audited."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        from datetime import date

        from stillhere.clients.models import Client, Episode

        # 118 more of Alice's clients (120 with Ana and Ben's practice-mates):
        # surnames chosen so that accents and case must not change the order.
        names = [("Zoë", "Ó Briain"), ("adam", "obi"), ("Eva", "Öberg")] + [
            ("Client", f"N{i:03d}") for i in range(115)]
        clients = Client.objects.bulk_create([
            Client(practice=cls.riverside, external_id=f"p-{i:03d}", first_name=first, last_name=last)
            for i, (first, last) in enumerate(names)])
        Episode.objects.bulk_create([Episode(practice=cls.riverside, client=c, clinician=cls.alice,
                                             started=date(2026, 1, 5)) for c in clients])

    def names_on(self, url):
        r = self.client.get(url)
        self.assertEqual(r.status_code, 200)
        return r, [e.client.display_name for e in r.context["rows"]]

    def test_fifty_a_page_in_name_order_accents_and_case_aside(self):
        self.login(self.dora)  # 120 open episodes: Ana, Ben and the 118
        r, first = self.names_on("/clients/")
        self.assertEqual(len(first), 50)
        self.assertEqual(first[:4], ["Ana Abbott", "Ben Baker", "Client N000", "Client N001"])
        self.assertContains(r, "Showing 1–50 of 120 open episodes, by client's last name")
        _, second = self.names_on("/clients/?page=2")
        r, third = self.names_on("/clients/?page=3")
        self.assertEqual(len(third), 20)
        self.assertEqual(third[-3:], ["Zoë Ó Briain", "Eva Öberg", "adam obi"])  # "o briain" < "oberg" < "obi"
        self.assertEqual(len(set(first + second + third)), 120)
        self.assertContains(r, "Showing 101–120 of 120 open episodes")

    def test_the_pager_names_the_pages_and_marks_the_current_one(self):
        self.login(self.dora)
        r = self.client.get("/clients/?page=2")
        self.assertContains(r, '<nav class="pager" aria-label="Pages of the client list">')
        self.assertContains(r, '<a href="?page=2" aria-current="page"><span class="visually-hidden">Page </span>2</a>',
                            html=True)
        self.assertContains(r, 'href="?page=1" rel="prev"')
        self.assertContains(r, 'href="?page=3" rel="next"')
        self.assertContains(r, "Open episodes of care, page 2 of 3")

    def test_a_page_out_of_range_or_not_a_number_shows_the_nearest(self):
        self.login(self.dora)
        _, last = self.names_on("/clients/?page=3")
        self.assertEqual(self.names_on("/clients/?page=99")[1], last)
        self.assertEqual(self.names_on("/clients/?page=x")[1], self.names_on("/clients/")[1])

    def test_a_clinician_pages_through_their_own_only(self):
        self.login(self.bob)
        r, names = self.names_on("/clients/")
        self.assertEqual(names, ["Ben Baker"])
        self.assertNotContains(r, 'class="pager"')
        self.assertContains(r, "1 open episode, by client's last name")

    def test_only_the_page_shown_is_audited(self):
        self.login(self.dora)
        r = self.client.get("/clients/?page=3")
        event = AuditEvent.objects.filter(verb="client-list-viewed").latest("id")
        self.assertEqual(event.data["count"], 20)
        self.assertEqual(event.data["clients"], sorted(e.client_id for e in r.context["rows"]))

    def test_the_page_reads_no_contact_details(self):
        """Nothing encrypted is read for the list, so nothing is decrypted per row."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        self.login(self.dora)
        with CaptureQueriesContext(connection) as q:
            self.client.get("/clients/")
        listed = [x["sql"] for x in q.captured_queries if '"clients_client"."code"' in x["sql"]]
        self.assertEqual(len(listed), 1)
        for column in ("email", "phone", "address_line1", "safety_note", "emergency_name"):
            self.assertNotIn(f'"clients_client"."{column}"', listed[0])


class ClientListOrderCacheTestCase(TransactionTestCase):
    """The list's order is kept per member between requests (outside a
    transaction, as on a real server), yet a client added or an episode
    ended shows in the list at once."""

    def setUp(self):
        from stillhere.accounts.models import Practice
        from stillhere.clients.listing import _orders

        _orders.store.clear()
        self.practice = Practice.objects.create(name="Riverside", slug="riverside", timezone="Europe/London")
        self.alice = make_member(self.practice, "alice", "clinician")
        self.ana = make_client(self.practice, self.alice, "r-001", "Ana", "Abbott")
        self.client.force_login(self.alice.user)

    def names(self):
        return [e.client.display_name for e in self.client.get("/clients/").context["rows"]]

    def test_a_new_client_and_an_ending_show_at_once(self):
        from datetime import date

        from stillhere.clients import endings

        self.assertEqual(self.names(), ["Ana Abbott"])
        make_client(self.practice, self.alice, "r-002", "Aaron", "Aardvark")
        self.assertEqual(self.names(), ["Aaron Aardvark", "Ana Abbott"])
        endings.end_episode(self.alice, self.ana.episodes.get(), "planned", date(2026, 1, 12))
        self.assertEqual(self.names(), ["Aaron Aardvark"])
