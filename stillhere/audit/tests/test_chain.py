"""The audit trail is tamper-evident: edits, deletions and reordering are found."""

import os
import subprocess
import sys
import threading
from contextlib import contextmanager
from io import StringIO
from pathlib import Path

from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import DatabaseError, connection, connections, transaction
from django.test import TransactionTestCase, override_settings

from stillhere.accounts.models import Practice
from stillhere.audit import chain, events, triggers
from stillhere.audit.models import AppendOnlyError, AuditChainHead, AuditEvent
from stillhere.clients.models import Client
from stillhere.test import BaseTestCase

ROOT = Path(__file__).resolve().parents[3]
T = connection.ops.quote_name(AuditEvent._meta.db_table)


@contextmanager
def as_the_database_owner():
    """What someone with the database's own rights can do: switch the triggers off."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SET session_replication_role = replica")  # superuser: ordinary triggers off
        try:
            with connection.cursor() as cur:
                yield cur
        finally:
            with connection.cursor() as cur:
                cur.execute("SET session_replication_role = origin")
    else:
        triggers.remove(connection)
        try:
            with connection.cursor() as cur:
                yield cur
        finally:
            triggers.install(connection)


def verify_command() -> tuple[int, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("audit", "verify", stdout=out, stderr=err)
        code = 0
    except SystemExit as e:
        code = e.code
    return code, out.getvalue() + err.getvalue()


class ChainTestCase(BaseTestCase):
    def setUp(self):
        self.rows = [events.record(events.ClientViewed(practice=self.riverside, actor=self.alice.user, client=c))
                     for c in (self.ana, self.ben, self.ana, self.ben, self.ana)]

    def test_an_untouched_trail_verifies(self):
        code, out = verify_command()
        self.assertEqual(code, 0, out)
        self.assertIn("intact", out)
        seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
        self.assertEqual(seqs, list(range(seqs[0], seqs[0] + len(seqs))))

    def test_a_row_edited_by_direct_sql_is_named(self):
        victim = self.rows[1]
        with as_the_database_owner() as cur:
            cur.execute(f"UPDATE {T} SET target_id = %s WHERE id = %s", ["999", victim.pk])
        code, out = verify_command()
        self.assertEqual(code, 1)
        self.assertIn(f"Event {victim.seq} (client-viewed, recorded", out)
        self.assertIn("was changed after it was written", out)
        self.assertEqual(out.count("was changed"), 1, out)

    def test_an_edited_time_or_actor_is_found_too(self):
        with as_the_database_owner() as cur:
            cur.execute(f"UPDATE {T} SET actor_id = %s WHERE id = %s", [self.bob.user.pk, self.rows[2].pk])
        self.assertIn(f"Event {self.rows[2].seq} ", " ".join(chain.verify().problems))

    def test_a_deleted_row_is_named(self):
        gone = self.rows[2]
        with as_the_database_owner() as cur:
            cur.execute(f"DELETE FROM {T} WHERE id = %s", [gone.pk])
        code, out = verify_command()
        self.assertEqual(code, 1)
        self.assertIn(f"1 event between event {gone.seq - 1} and event {gone.seq + 1} was deleted", out)

    def test_deleting_the_newest_rows_is_found_against_the_chain_head(self):
        with as_the_database_owner() as cur:
            cur.execute(f"DELETE FROM {T} WHERE id IN (%s, %s)", [self.rows[3].pk, self.rows[4].pk])
        problems = chain.verify().problems
        self.assertEqual(problems, [f"The newest 2 events (up to event {self.rows[4].seq}) were deleted."])

    def test_a_reordered_row_is_named(self):
        a, b = self.rows[1], self.rows[2]
        with as_the_database_owner() as cur:
            cur.execute(f"UPDATE {T} SET seq = -1 WHERE id = %s", [a.pk])
            cur.execute(f"UPDATE {T} SET seq = %s WHERE id = %s", [a.seq, b.pk])
            cur.execute(f"UPDATE {T} SET seq = %s WHERE id = %s", [b.seq, a.pk])
        code, out = verify_command()
        self.assertEqual(code, 1)
        self.assertIn(f"Event {a.seq} is out of order: it was written right after event {b.seq}", out)
        self.assertNotIn("was changed", out)

    def test_a_forged_row_without_the_key_is_found(self):
        last = self.rows[-1]
        with as_the_database_owner() as cur:
            cur.execute(f"INSERT INTO {T} (practice_id, verb, target_type, target_id, data, created, seq, prev_hash, "
                        "hash, key_id, client_ref) VALUES (%s, 'client-viewed', 'client', '1', '{}', %s, %s, %s, "
                        "%s, %s, '')", [self.riverside.pk, last.created, last.seq + 1, last.hash, "0" * 64,
                                        last.key_id])
        self.assertIn(f"Event {last.seq + 1} (client-viewed", " ".join(chain.verify().problems))

    def test_the_database_refuses_update_and_delete(self):
        with override_settings(AUDIT_ALLOW_FLUSH_FOR_TESTS=False):
            for sql in (f"UPDATE {T} SET verb = 'x' WHERE id = %s", f"DELETE FROM {T} WHERE id = %s"):
                with self.subTest(sql=sql), self.assertRaises(DatabaseError) as caught:
                    with transaction.atomic(), connection.cursor() as cur:
                        cur.execute(sql, [self.rows[0].pk])
                self.assertIn("append-only", str(caught.exception))
        self.assertEqual(AuditEvent.objects.get(pk=self.rows[0].pk).verb, "client-viewed")
        self.assertTrue(chain.verify().ok)

    def test_queryset_update_and_delete_refuse(self):
        qs = AuditEvent.objects.filter(pk=self.rows[0].pk)
        for attempt in (lambda: qs.update(verb="x"), qs.delete, lambda: AuditEvent.objects.all().delete(),
                        lambda: AuditEvent.objects.bulk_create([AuditEvent(practice=self.riverside, verb="x")])):
            with self.assertRaises(AppendOnlyError):
                attempt()
        self.assertEqual(AuditEvent.objects.count(), 5)

    def test_deleting_a_client_keeps_its_trail_whole_and_pseudonymous(self):
        ana_pk = self.ana.pk
        ref = AuditEvent.objects.filter(client_id=ana_pk).values_list("client_ref", flat=True).distinct()
        self.assertEqual(len(ref), 1)
        self.assertTrue(ref[0].startswith("c-") and len(ref[0]) == 26)
        Client.objects.filter(pk=ana_pk).delete()
        self.assertEqual(AuditEvent.objects.filter(client_id=ana_pk, client_ref=ref[0]).count(), 3)
        self.assertTrue(chain.verify().ok, chain.verify().problems)

    def test_a_rotated_key_still_verifies_old_rows_and_a_dropped_key_is_said(self):
        old = chain.fernet_keys()
        new = Fernet.generate_key().decode()
        with override_settings(FIELD_ENCRYPTION_KEYS=[new, *old]):
            events.record(events.ClientViewed(practice=self.riverside, actor=self.alice.user, client=self.ana))
            self.assertTrue(chain.verify().ok, chain.verify().problems)
            self.assertEqual(AuditEvent.objects.values("key_id").distinct().count(), 2)
        with override_settings(FIELD_ENCRYPTION_KEYS=[new]):
            self.assertEqual(chain.verify().problems, [
                "5 events were sealed with a key that is no longer configured, so cannot be checked "
                "(was an old key removed?)."])


class ConcurrentWritersTestCase(TransactionTestCase):
    """Many writers at once never fork the chain (threads: one connection each)."""

    def test_threads_writing_at_once_keep_one_chain(self):
        if connection.vendor != "postgresql":
            self.skipTest("SQLite's in-memory test database shares one cache; see the process test below")
        practice = Practice.objects.create(name="P", slug="p", timezone="UTC")
        errors, barrier = [], threading.Barrier(6)

        def write():
            try:
                barrier.wait()
                for _ in range(15):
                    with transaction.atomic():
                        events.record(events.EncryptionKeysRotated(practice=practice, count=1))
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=write) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(AuditEvent.objects.count(), 90)
        report = chain.verify()
        self.assertTrue(report.ok, report.problems)
        self.assertEqual((report.first, report.last), (1, 90))
        self.assertEqual(AuditChainHead.objects.get().seq, 90)


def test_processes_writing_at_once_keep_one_chain_on_sqlite(tmp_path):
    env = {**os.environ, "STILLHERE_DATA_DIR": str(tmp_path), "SECRET_KEY": "processes-test"}
    env.pop("DATABASE_URL", None)
    stillhere = str(Path(sys.executable).with_name("stillhere"))
    subprocess.run([stillhere, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    subprocess.run([stillhere, "shell", "-c", "from stillhere.accounts.models import Practice;"
                    "Practice.objects.create(name='P', slug='p', timezone='UTC')"], env=env, check=True)
    script = ("from stillhere.accounts.models import Practice\n"
              "from stillhere.audit import events\n"
              "p = Practice.objects.get()\n"
              "for _ in range(150):\n"
              "    events.record(events.EncryptionKeysRotated(practice=p, count=1))\n")
    procs = [subprocess.Popen([stillhere, "shell", "-c", script], env=env) for _ in range(4)]
    assert [p.wait(timeout=300) for p in procs] == [0, 0, 0, 0]
    done = subprocess.run([stillhere, "audit", "verify"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "600 event(s), from event 1 to event 600" in done.stdout
