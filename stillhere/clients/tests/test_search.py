"""Find anyone: accents, case, partial names, ended clients, and nothing
of the words searched for kept anywhere."""

import logging
from datetime import date

from stillhere.audit.models import AuditEvent
from stillhere.clients.models import Episode
from stillhere.clients.search import find_clients, fold
from stillhere.test import BaseTestCase, make_client


class SearchTestCase(BaseTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.zoe = make_client(cls.riverside, cls.alice, "r-010", "Zoë", "Ó Briain", preferred_name="")
        cls.dana = make_client(cls.riverside, cls.alice, "EHR-4471", "Dana", "Whitfield")
        cls.tunde = make_client(cls.riverside, cls.bob, "r-012", "Babatunde", "Adébáyọ̀", preferred_name="Tunde")
        ep = cls.dana.episodes.get()
        ep.ended, ep.end_reason, ep.state = date(2026, 2, 1), "no_goodbye", Episode.State.ENDED_NO_GOODBYE
        ep.save()

    def names(self, member, text, **kw):
        return [m.client.display_name for m in find_clients(self.riverside, member.user, text, **kw)]

    def test_accents_and_case_do_not_matter(self):
        self.assertEqual(fold("Zoë Ó Briain"), "zoe o briain")
        self.assertEqual(self.names(self.alice, "zoe"), ["Zoë Ó Briain"])
        self.assertEqual(self.names(self.alice, "ZOË o briain"), ["Zoë Ó Briain"])
        self.assertEqual(self.names(self.dora, "adebayo"), ["Tunde Adébáyọ̀"])

    def test_full_partial_preferred_name_and_record_number(self):
        self.assertEqual(self.names(self.alice, "Dana Whitfield"), ["Dana Whitfield"])
        self.assertEqual(self.names(self.alice, "whit"), ["Dana Whitfield"])
        self.assertEqual(self.names(self.dora, "tunde"), ["Tunde Adébáyọ̀"])
        self.assertEqual(self.names(self.dora, "babatunde"), ["Tunde Adébáyọ̀"])
        self.assertEqual(self.names(self.alice, "ehr-4471"), ["Dana Whitfield"])
        self.assertEqual(self.names(self.alice, "dana baker"), [])

    def test_ended_clients_are_found_and_filtered(self):
        found = find_clients(self.riverside, self.alice.user, "whitfield")
        self.assertTrue(found[0].ended)
        self.assertEqual(found[0].ending, "Ended without goodbye")
        # One letter: the beginning of a name word, read the slow way (the index starts at two).
        self.assertEqual(self.names(self.alice, "d", ended=True), ["Dana Whitfield"])
        self.assertNotIn("Dana Whitfield", self.names(self.alice, "d", ended=False))

    def test_a_clinician_finds_only_their_own_clients(self):
        self.assertEqual(self.names(self.alice, "tunde"), [])
        self.assertEqual(self.names(self.alice, "ben"), [])
        self.assertEqual(self.names(self.cora, "ana"), [])
        self.assertEqual(find_clients(self.hillside, self.charlie.user, "ana"), [])

    def test_the_page_shows_how_an_ended_episode_ended_and_keeps_no_search_words(self):
        self.login(self.alice)
        with self.assertLogs(level=logging.DEBUG) as logs:
            logging.getLogger("probe").debug("start")
            r = self.client.post("/clients/find/", {"q": "Whitfield", "which": "ended"})
        self.assertContains(r, "Dana Whitfield")
        self.assertContains(r, "Ended 1 Feb 2026: ended without goodbye")
        self.assertFalse(any("hitfield" in line for line in logs.output))
        event = AuditEvent.objects.get(verb="clients-searched")
        self.assertEqual((event.data["count"], event.data["ended"], len(event.data["clients"])), (1, True, 1))
        self.assertNotIn("hitfield", str(event.data).lower())

    def test_an_empty_search_finds_nobody_and_says_so(self):
        self.login(self.alice)
        r = self.client.post("/clients/find/", {"q": "  "})
        self.assertContains(r, "Nobody found")
