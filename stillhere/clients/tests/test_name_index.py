"""Names and record numbers encrypted at rest, and found again through the
name index: what a thief with the database sees is ciphertext and digests;
what a clinician typing "zoe" or "whit" sees is Zoë Whitfield, by every way
a client is written (a form, the API, an import, the simulator), and after
keys rotate; an erased client leaves no digest behind."""

import tempfile
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

import pandas as pd
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from stillhere.clients import name_index
from stillhere.clients.bulk import load_practice
from stillhere.clients.erase import erase_client
from stillhere.clients.models import Client, NameDigest
from stillhere.clients.search import find_clients
from stillhere.ingest.tests.helpers import run_with_report
from stillhere.lib import crypto
from stillhere.lib.crypto import EncryptedLookupError, blind_index, migrate_columns
from stillhere.test import BaseTestCase, make_client

NAMES = ("Zoë", "Whitfield", "Zo", "EHR-4471")


def raw(sql, params=()):
    with connection.cursor() as cur:
        cur.execute(sql, list(params))
        return cur.fetchall()


class NameIndexTestCase(BaseTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.zoe = make_client(cls.riverside, cls.alice, "EHR-4471", "Zoë", "Whitfield", preferred_name="Zo")
        cls.mary = make_client(cls.riverside, cls.alice, "r-020", "Mary-Jane", "O'Brien")
        cls.dan = make_client(cls.riverside, cls.alice, "r-021", "Dan", "Whitaker")

    def names(self, text, member=None, **kw):
        return [m.client.display_name for m in find_clients(self.riverside, (member or self.alice).user, text, **kw)]

    # --- at rest -----------------------------------------------------------
    def test_raw_sql_shows_ciphertext_for_names_and_record_numbers(self):
        rows = raw("SELECT first_name, last_name, preferred_name, external_id, external_id_index "
                   "FROM clients_client WHERE id = %s", [self.zoe.pk])
        first, last, preferred, ext, ext_index = rows[0]
        for stored in (first, last, preferred, ext):
            self.assertTrue(stored.startswith(crypto.PREFIX), stored)
        dump = " ".join(str(v) for r in raw("SELECT * FROM clients_client") for v in r)
        dump += " ".join(str(v) for r in raw("SELECT * FROM clients_namedigest") for v in r)
        for plain in ("Zoë", "Whitfield", "EHR-4471", "ehr-4471", "zoe", "whit", "Mary", "O'Brien", "Abbott"):
            self.assertNotIn(plain, dump)
        self.assertEqual(ext_index, blind_index("record", "EHR-4471"))
        # The app reads them back as written.
        zoe = Client.objects.get(pk=self.zoe.pk)
        self.assertEqual((zoe.first_name, zoe.last_name, zoe.preferred_name, zoe.external_id), NAMES)
        self.assertEqual(zoe.display_name, "Zo Whitfield")

    def test_the_record_number_is_matched_on_its_digest_and_names_cannot_be_filtered(self):
        self.assertEqual(Client.objects.get(external_id="EHR-4471"), self.zoe)
        self.assertEqual(set(Client.objects.filter(external_id__in=["EHR-4471", "r-021"])), {self.zoe, self.dan})
        self.assertFalse(Client.objects.filter(external_id="ehr-4471").exists())  # exact, as the EHR wrote it
        with self.assertRaisesMessage(EncryptedLookupError, "Client.first_name is encrypted"):
            Client.objects.filter(first_name="Zoë").exists()
        with self.assertRaises(EncryptedLookupError):
            Client.objects.filter(last_name__icontains="whit").exists()

    # --- search --------------------------------------------------------------
    def test_search_by_prefix_accent_folded_and_two_words_in_any_order(self):
        self.assertEqual(self.names("zoe"), ["Zo Whitfield"])
        self.assertEqual(self.names("ZOË"), ["Zo Whitfield"])
        self.assertEqual(self.names("whit"), ["Dan Whitaker", "Zo Whitfield"])  # sorted by last name
        self.assertEqual(self.names("Whitfield Zoe"), ["Zo Whitfield"])
        self.assertEqual(self.names("whit z"), ["Zo Whitfield"])       # a one-letter word checked after
        self.assertEqual(self.names("ehr-4471"), ["Zo Whitfield"])      # the whole record number, any case
        self.assertEqual(self.names("4471"), [])                        # not part of one
        self.assertEqual(self.names("itfield"), [])                     # words are matched from their start
        self.assertEqual(self.names("obrien"), ["Mary-Jane O'Brien"])
        self.assertEqual(self.names("o'brien jane"), ["Mary-Jane O'Brien"])
        self.assertEqual(self.names("maryjane"), ["Mary-Jane O'Brien"])
        self.assertEqual(self.names("zoe", member=self.bob), [])        # not Bob's client

    def test_the_index_answers_so_only_the_clients_found_are_decrypted(self):
        for i in range(30):
            make_client(self.riverside, self.alice, f"x-{i}", f"Other{i}", "Person")
        with mock.patch("stillhere.lib.crypto.decrypt", wraps=crypto.decrypt) as decrypt:
            self.assertEqual(self.names("whitf"), ["Zo Whitfield"])
        # Zoë's four names read to check and sort, then shown: nobody else's.
        self.assertLessEqual(decrypt.call_count, 8)
        with mock.patch("stillhere.lib.crypto.decrypt", wraps=crypto.decrypt) as decrypt:
            self.assertEqual(self.names("whitf", use_index=False), ["Zo Whitfield"])
        self.assertGreater(decrypt.call_count, 3 * 30)  # the old way reads everyone (names and record numbers)

    def test_one_letter_words_alone_read_every_visible_name_and_find_the_same(self):
        self.assertEqual(self.names("z"), self.names("z", use_index=False))
        self.assertEqual(self.names("z"), ["Zo Whitfield"])

    # --- kept current ----------------------------------------------------------
    def test_a_changed_name_moves_its_digests(self):
        zoe = Client.objects.get(pk=self.zoe.pk)
        zoe.last_name = "Ellery"
        zoe.save(update_fields=["last_name"])
        self.assertEqual(self.names("whitf"), [])
        self.assertEqual(self.names("ell"), ["Zo Ellery"])
        zoe.pronouns = "she/her"
        zoe.save(update_fields=["pronouns"])                 # a save that does not touch names keeps them
        self.assertEqual(self.names("ell"), ["Zo Ellery"])
        Client.objects.filter(pk=self.zoe.pk).update(first_name="Zara", preferred_name="")
        self.assertEqual(self.names("zara ell"), ["Zara Ellery"])
        self.assertEqual(self.names("zoe"), [])

    def test_the_api_keeps_the_index(self):
        from stillhere.api.models import ApiToken

        _, secret = ApiToken.issue(self.dora, "script")
        auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
        r = self.client.post("/api/v1/clients", {"external_id": "api-7", "first_name": "Ngozi", "last_name": "Adé",
                                                 "clinician": self.alice.pk, "phone": "+15555550111"},
                             content_type="application/json", **auth)
        self.assertEqual(r.status_code, 201, r.content)
        self.assertEqual(self.names("ade ngo"), ["Ngozi Adé"])
        code = r.json()["id"]
        r = self.client.patch(f"/api/v1/clients/{code}", {"last_name": "Okafor", "phone": "+15555550122"},
                              content_type="application/json", **auth)
        self.assertEqual(r.status_code, 200, r.content)
        self.assertEqual(self.names("okaf"), ["Ngozi Okafor"])
        self.assertEqual(self.names("ade"), [])
        # A save of some fields also saves the blind index made from them.
        self.assertEqual(Client.objects.get(code=code).phone_index, blind_index("phone", "+15555550122"))
        r = self.client.post("/api/v1/clients", {"external_id": "api-7", "first_name": "Again",
                                                 "clinician": self.alice.pk},
                             content_type="application/json", **auth)
        self.assertEqual(r.status_code, 409)      # the record number is found by its digest

    def test_the_simulators_bulk_load_indexes_everyone(self):
        clinicians = pd.DataFrame([{"clinician": "alice@example.org", "name": "Alice"}])
        clients = pd.DataFrame([{"client_id": "s-1", "first_name": "Adébáyọ̀", "last_name": "Okonkwo"},
                                {"client_id": "s-2", "first_name": "Åsa", "last_name": "Lindqvist"}])
        episodes = pd.DataFrame([{"episode_id": "se-1", "client_id": "s-1", "clinician": "alice@example.org",
                                  "started": "2026-01-05"},
                                 {"episode_id": "se-2", "client_id": "s-2", "clinician": "alice@example.org",
                                  "started": "2026-01-05"}])
        appointments = pd.DataFrame([{"appointment_id": "sa-1", "client_id": "s-1", "episode_id": "se-1",
                                      "clinician": "alice@example.org", "start": "2026-01-05T10:00:00+00:00",
                                      "status": "attended"}])
        load_practice(self.riverside, clinicians, clients, episodes, appointments)
        self.assertEqual(self.names("adebayo"), ["Adébáyọ̀ Okonkwo"])
        self.assertEqual(self.names("asa lind", member=self.dora), ["Åsa Lindqvist"])

    # --- imports --------------------------------------------------------------
    def test_reimporting_the_same_clients_changes_nothing(self):
        with tempfile.TemporaryDirectory() as tmp:
            clients = Path(tmp) / "clients.csv"
            clients.write_text("client_id,first_name,last_name,email\n"
                               "c-01,Zoë,Ó Briain,zoe@example.org\nc-02,Marcus,Ellery,\n")
            appts = Path(tmp) / "appointments.csv"
            appts.write_text("appointment_id,client_id,clinician,start,status\n"
                             "a-1,c-01,alice@example.org,2026-02-02T10:00:00+00:00,attended\n"
                             "a-2,c-02,alice@example.org,2026-02-03T10:00:00+00:00,attended\n")
            args = ("appointments", appts, "--clients", clients, "--practice", "riverside")
            code, first, text = run_with_report(*args)
            self.assertEqual(code, 0, text)
            self.assertEqual(first["counts"]["clients"], {"created": 2, "updated": 0, "unchanged": 0})
            digests = sorted(raw("SELECT client_id, digest FROM clients_namedigest"))
            stored = sorted(raw("SELECT id, first_name, external_id FROM clients_client"))
            code, again, text = run_with_report(*args)
            self.assertEqual(code, 0, text)
            self.assertEqual(again["counts"]["clients"], {"created": 0, "updated": 0, "unchanged": 2})
            self.assertEqual(again["counts"]["appointments"], {"created": 0, "updated": 0, "unchanged": 2})
            # Not a row rewritten: the same ciphertext, the same digests.
            self.assertEqual(sorted(raw("SELECT id, first_name, external_id FROM clients_client")), stored)
            self.assertEqual(sorted(raw("SELECT client_id, digest FROM clients_namedigest")), digests)
            # A renamed client is updated in place, and found by the new name.
            clients.write_text("client_id,first_name,last_name,email\n"
                               "c-01,Zoë,Lindqvist,zoe@example.org\nc-02,Marcus,Ellery,\n")
            code, third, text = run_with_report(*args)
        self.assertEqual(third["counts"]["clients"], {"created": 0, "updated": 1, "unchanged": 1})
        self.assertEqual(self.names("zoe lind"), ["Zoë Lindqvist"])
        self.assertEqual(self.names("briain"), [])
        self.assertEqual(Client.objects.filter(practice=self.riverside, external_id="c-01").count(), 1)

    # --- keys -----------------------------------------------------------------
    def test_rotatekeys_re_encrypts_names_and_the_index_still_finds_them(self):
        before = dict(raw("SELECT id, first_name FROM clients_client"))
        old, new = crypto.keys()[0], Fernet.generate_key().decode()
        with override_settings(FIELD_ENCRYPTION_KEYS=[new, old]):
            call_command("rotatekeys", stdout=open("/dev/null", "w"))
        with override_settings(FIELD_ENCRYPTION_KEYS=[new]):
            after = dict(raw("SELECT id, first_name FROM clients_client"))
            self.assertTrue(all(after[pk] != before[pk] for pk in before))
            self.assertEqual(self.names("whitfield zoe"), ["Zo Whitfield"])
            self.assertEqual(Client.objects.get(external_id="EHR-4471"), self.zoe)

    def test_a_new_blind_index_key_rebuilds_the_name_index(self):
        old = set(raw("SELECT digest FROM clients_namedigest WHERE client_id = %s", [self.zoe.pk]))
        with override_settings(BLIND_INDEX_KEY="another-index-key"):
            self.assertEqual(self.names("zoe"), [])          # the old digests mean nothing under the new key
            call_command("rotatekeys", stdout=open("/dev/null", "w"))
            new = set(raw("SELECT digest FROM clients_namedigest WHERE client_id = %s", [self.zoe.pk]))
            self.assertFalse(old & new)
            self.assertEqual(self.names("zoe"), ["Zo Whitfield"])
            self.assertEqual(Client.objects.get(external_id="EHR-4471"), self.zoe)

    # --- erasure ----------------------------------------------------------------
    def test_erasing_a_client_removes_their_digests(self):
        self.assertTrue(NameDigest.objects.filter(client=self.zoe).exists())
        others = NameDigest.objects.exclude(client=self.zoe).count()
        erasure = erase_client(self.zoe, self.dora.user, where="test")
        self.assertFalse(raw("SELECT 1 FROM clients_namedigest WHERE client_id = %s", [self.zoe.pk]))
        self.assertEqual(NameDigest.objects.count(), others)
        self.assertGreater(erasure.counts["name_search_entries"], 10)
        self.assertEqual(self.names("zoe"), [])

    # --- the migration ------------------------------------------------------------
    def test_the_migration_encrypts_plain_names_fills_both_indexes_and_can_undo_it(self):
        q = connection.ops.quote_name
        with connection.cursor() as cur:  # a row as the previous release stored it
            cur.execute(f"UPDATE clients_client SET first_name = %s, last_name = %s, {q('external_id')} = %s, "
                        f"external_id_index = %s WHERE id = %s", ["Åsa", "Lindqvist", "old-9", "", self.dan.pk])
            cur.execute("DELETE FROM clients_namedigest")
        editor = SimpleNamespace(connection=connection, execute=lambda sql: connection.cursor().execute(sql))
        cols = ["external_id", "first_name", "last_name", "preferred_name"]
        index = {"external_id_index": ("record", "external_id")}
        migrate_columns("clients_client", cols, forward=True, indexes=index)(None, editor)
        name_index.fill_for_migration(None, editor)
        stored = raw("SELECT first_name, external_id, external_id_index FROM clients_client WHERE id = %s",
                     [self.dan.pk])[0]
        self.assertTrue(stored[0].startswith(crypto.PREFIX) and stored[1].startswith(crypto.PREFIX))
        self.assertEqual(stored[2], blind_index("record", "old-9"))
        self.assertEqual(Client.objects.get(external_id="old-9").first_name, "Åsa")
        self.assertEqual(self.names("asa lind"), ["Åsa Lindqvist"])
        self.assertEqual(self.names("zoe"), ["Zo Whitfield"])
        migrate_columns("clients_client", cols, forward=False, indexes=index)(None, editor)
        self.assertEqual(raw("SELECT first_name, external_id FROM clients_client WHERE id = %s", [self.dan.pk]),
                         [("Åsa", "old-9")])

    # --- the admin ------------------------------------------------------------------
    def test_the_admin_searches_through_the_index(self):
        user = self.adam.user
        user.is_staff = user.is_superuser = True
        user.save()
        self.login(self.adam)
        r = self.client.get("/admin/clients/client/", {"q": "whitf"})
        self.assertEqual(r.status_code, 200)
        self.assertEqual([c.pk for c in r.context["cl"].result_list], [self.zoe.pk])
        r = self.client.get("/admin/clients/client/", {"q": "EHR-4471"})
        self.assertEqual([c.pk for c in r.context["cl"].result_list], [self.zoe.pk])
        self.assertContains(r, "EHR-4471")  # shown decrypted
