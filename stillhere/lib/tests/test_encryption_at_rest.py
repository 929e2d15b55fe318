"""Client data encrypted at rest: what a thief with the database file (or a
`dumpdata`, or a direct SQL session) sees is ciphertext, while the app reads
and writes as before, texts are still matched to their client, and rotating
keys re-encrypts everything."""

from types import SimpleNamespace

from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.test import SimpleTestCase, override_settings

from stillhere.channels.sms.providers import Twilio
from stillhere.clients.models import Client, SessionMarker
from stillhere.engagement.models import StateChange
from stillhere.ingest.models import ImportRun
from stillhere.lib import crypto
from stillhere.lib.crypto import DecryptionError, blind_index, encrypted_columns, migrate_columns
from stillhere.outreach import actions
from stillhere.outreach.models import Letter, OutboxMessage, OutreachAttempt, Reply
from stillhere.outreach.tests.helpers import DAY1, OutreachTestCase, post_a_letter, sms_settings, td, tick

SAFETY = "Said she had thought about not being here any more"
EMERGENCY = "Marguerite Abbott-Lindqvist"


def raw(table, column, where="1=1", params=()):
    q = connection.ops.quote_name
    with connection.cursor() as cur:
        cur.execute(f"SELECT {q(column)} FROM {q(table)} WHERE {where}", list(params))
        return [r[0] for r in cur.fetchall()]


def as_text(v):
    if v is None:
        return ""
    return bytes(v).decode("latin-1") if isinstance(v, (bytes, memoryview)) else str(v)


@override_settings(**sms_settings("http://127.0.0.1:9"))
class EncryptionAtRestTestCase(OutreachTestCase):
    def setUp(self):
        super().setUp()
        a = self.ana
        a.safety_note, a.emergency_name, a.emergency_relationship = SAFETY, EMERGENCY, "Sister"
        a.emergency_phone, a.region, a.address_line2 = "+15555550177", "Westshire", "Flat 3"
        a.save()

    def fill_everything(self):
        """Every encrypted field given a value, through the app's own paths."""
        step = post_a_letter(self)                                      # a draft, a rendered letter
        actions.log_reply(self.ana, Reply.Source.LETTER, DAY1 + td(days=12), text="I got your card, thank you")
        StateChange.objects.filter(episode=self.episode).update(note="Talked it over with Ana's GP")
        ap = self.episode.appointments.first()
        if ap is not None:
            SessionMarker.objects.create(appointment=ap, kind="hard_session", note="She cried about her father")
        OutboxMessage.objects.create(channel="email", to="ana-private@example.org", subject="Checking in",
                                     body="Dear Ana, we miss you")
        ImportRun.objects.create(practice=self.riverside, kind="csv",
                                 report={"problems": [{"row": 3, "value": "whitfield@example.org"}]})
        return step

    def test_raw_sql_shows_no_plaintext_in_any_encrypted_column(self):
        step = self.fill_everything()
        plaintexts = ["r-001@example.org", "+15555550100", "4 Mill Lane", "Fairhaven", "FH1 2AB", SAFETY,
                      EMERGENCY, "Westshire", "Flat 3", "+15555550177", "I got your card", "Ana's GP",
                      "cried about", "ana-private@", "we miss you", "whitfield@example.org", "%PDF"]
        seen = 0
        for model, enc, idx in encrypted_columns():
            for f in enc:
                for v in raw(model._meta.db_table, f.column):
                    text = as_text(v)
                    if not text:
                        continue
                    seen += 1
                    self.assertTrue(text.startswith(crypto.PREFIX), f"{model.__name__}.{f.name} is not encrypted")
                    for p in plaintexts:
                        self.assertNotIn(p, text, f"{model.__name__}.{f.name}")
            for f in idx:  # a blind index is a digest, not the value
                for v in raw(model._meta.db_table, f.column):
                    self.assertNotIn("5555", v or "")
        self.assertGreater(seen, 25)
        # ...while the app reads every one of them back as written.
        ana = Client.objects.get(pk=self.ana.pk)
        self.assertEqual((ana.safety_note, ana.emergency_name, ana.city, ana.email),
                         (SAFETY, EMERGENCY, "Fairhaven", "r-001@example.org"))
        self.assertTrue(Letter.objects.get(step=step).pdf.startswith(b"%PDF"))
        self.assertEqual(ImportRun.objects.get().report["problems"][0]["value"], "whitfield@example.org")
        self.assertEqual(Reply.objects.get().text, "I got your card, thank you")

    def test_the_client_page_and_edits_still_show_the_details(self):
        self.login(self.alice)
        r = self.client.get(f"/clients/{self.ana.code}/")
        self.assertContains(r, "Fairhaven")
        Client.objects.filter(pk=self.ana.pk).update(city="Northport")  # update() encrypts too
        self.assertEqual(Client.objects.get(pk=self.ana.pk).city, "Northport")
        self.assertTrue(raw("clients_client", "city", "id = %s", [self.ana.pk])[0].startswith(crypto.PREFIX))

    def sms_post(self, params):
        url = "http://127.0.0.1:8000/outreach/inbound/sms/"
        return self.client.post("/outreach/inbound/sms/", params,
                                HTTP_X_TWILIO_SIGNATURE=Twilio().signature(url, params))

    def test_a_text_reply_is_matched_on_the_numbers_blind_index(self):
        miss(self)
        attempt = OutreachAttempt.objects.filter(step__key="message").latest("id")
        OutreachAttempt.objects.filter(id=attempt.id).update(channel="sms")
        digest = raw("clients_client", "phone_index", "id = %s", [self.ana.pk])[0]
        self.assertEqual(digest, blind_index("phone", "+1 555 555-0100"))
        # The number as the provider formats it differently still finds Ana.
        self.sms_post({"From": "+1 (555) 555-0100", "To": "+15555550199", "Body": "Thanks", "MessageSid": "SM1"})
        self.assertEqual(Reply.objects.get().client, self.ana)
        # A number nobody was texted at finds nobody.
        r = self.sms_post({"From": "+15555550999", "To": "+15555550199", "Body": "Hi", "MessageSid": "SM2"})
        self.assertEqual(r.status_code, 200)
        self.assertEqual(Reply.objects.count(), 1)

    def test_an_imported_phone_change_moves_the_blind_index(self):
        from stillhere.ingest.report import ImportReport
        from stillhere.ingest.writer import Writer

        w = Writer(self.riverside, ImportReport(kind="csv"))
        row = {"external_id": "r-001", "first_name": "Ana", "last_name": "Abbott", "phone": "+15555550123"}
        w.write_clients([(2, row)])
        self.assertEqual(raw("clients_client", "phone_index", "id = %s", [self.ana.pk])[0],
                         blind_index("phone", "+15555550123"))

    def test_rotatekeys_re_encrypts_every_encrypted_field(self):
        self.fill_everything()
        old, new = crypto.keys()[0], Fernet.generate_key().decode()
        before = {(m._meta.db_table, f.column): [as_text(v) for v in raw(m._meta.db_table, f.column)]
                  for m, enc, _ in encrypted_columns() for f in enc}
        with override_settings(FIELD_ENCRYPTION_KEYS=[new, old]):
            call_command("rotatekeys", stdout=open("/dev/null", "w"))
        with override_settings(FIELD_ENCRYPTION_KEYS=[new]):
            for (table, column), values in before.items():
                after = [as_text(v) for v in raw(table, column)]
                for b, a in zip(values, after):
                    if b:
                        self.assertNotEqual(a, b, f"{table}.{column} was not re-encrypted")
            ana = Client.objects.get(pk=self.ana.pk)
            self.assertEqual((ana.safety_note, ana.phone), (SAFETY, "+15555550100"))
            self.assertTrue(Letter.objects.get().pdf.startswith(b"%PDF"))
        with override_settings(FIELD_ENCRYPTION_KEYS=[old]):
            with self.assertRaises(DecryptionError):
                Client.objects.get(pk=self.ana.pk)

    def test_a_new_blind_index_key_takes_effect_after_rotatekeys(self):
        with override_settings(BLIND_INDEX_KEY="a-new-index-key"):
            call_command("rotatekeys", stdout=open("/dev/null", "w"))
            self.assertEqual(raw("clients_client", "phone_index", "id = %s", [self.ana.pk])[0],
                             blind_index("phone", "+15555550100"))
        self.assertNotEqual(raw("clients_client", "phone_index", "id = %s", [self.ana.pk])[0],
                            blind_index("phone", "+15555550100"))

    def test_the_data_migration_encrypts_plain_rows_and_can_undo_it(self):
        q = connection.ops.quote_name
        with connection.cursor() as cur:  # a row as the previous release stored it
            cur.execute(f"UPDATE clients_client SET {q('email')} = %s, {q('phone')} = %s, "
                        f"{q('phone_index')} = '' WHERE id = %s", ["old@example.org", "+15555550142", self.ana.pk])
        editor = SimpleNamespace(connection=connection)
        args = ("clients_client", ["email", "phone"])
        indexes = {"phone_index": ("phone", "phone"), "email_index": ("email", "email")}
        migrate_columns(*args, forward=True, indexes=indexes)(None, editor)
        self.assertTrue(raw("clients_client", "email", "id = %s", [self.ana.pk])[0].startswith(crypto.PREFIX))
        ana = Client.objects.get(pk=self.ana.pk)
        self.assertEqual((ana.email, ana.phone, ana.phone_index), ("old@example.org", "+15555550142",
                                                                   blind_index("phone", "+15555550142")))
        migrate_columns(*args, forward=True, indexes=indexes)(None, editor)  # running twice changes nothing
        self.assertEqual(Client.objects.get(pk=self.ana.pk).email, "old@example.org")
        migrate_columns(*args, forward=False, indexes=indexes)(None, editor)
        self.assertEqual(raw("clients_client", "email", "id = %s", [self.ana.pk]), ["old@example.org"])


def miss(tc):
    from stillhere.outreach.tests.helpers import miss as missed

    missed(tc.ana)
    tick(DAY1)
    tick(DAY1 + td(days=4))
    tc.approve_all()
    tick(DAY1 + td(days=4))


class DecryptManyTestCase(SimpleTestCase):
    """The scan opens record numbers in bulk (crypto.decrypt_many): the same
    text as decrypt() one by one, under whichever configured key wrote each,
    and the same refusals."""

    def test_many_values_open_as_one_by_one_and_plain_text_is_refused(self):
        old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
        with override_settings(FIELD_ENCRYPTION_KEYS=[old]):
            older = crypto.encrypt("c-000017")
        with override_settings(FIELD_ENCRYPTION_KEYS=[new, old]):
            values = [crypto.encrypt("c-000001"), "", None, older, crypto.encrypt("Zoë-7")]
            self.assertEqual(crypto.decrypt_many(values), ["c-000001", "", "", "c-000017", "Zoë-7"])
            self.assertEqual(crypto.decrypt_many(values), [crypto.decrypt(v) for v in values])
            with self.assertRaises(DecryptionError):
                crypto.decrypt_many([values[0], "c-000002"])
        with override_settings(FIELD_ENCRYPTION_KEYS=[new]), self.assertRaises(DecryptionError):
            crypto.decrypt_many([older])
