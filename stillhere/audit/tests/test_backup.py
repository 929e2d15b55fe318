"""Backups are encrypted and owner-only; a restore brings everything back and checks itself."""

import os
import stat
from io import StringIO

from django.core.management import CommandError, call_command
from django.db import connection
from django.test import TransactionTestCase

from stillhere.accounts.models import Membership, Practice
from stillhere.audit import chain, events
from stillhere.audit.models import AuditEvent
from stillhere.audit.tests.test_chain import T, as_the_database_owner
from stillhere.clients.models import Appointment, Client
from stillhere.lib import backup
from stillhere.test import make_client, make_member


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


class BackupTestCase(TransactionTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # restore --verify opens the scratch copy under its own alias, for the test too.
        cls.databases = cls.databases | {backup.SCRATCH}

    def setUp(self):
        import tempfile

        self.tmp = tempfile.mkdtemp(prefix="i17b-backup-test-")
        self.practice = Practice.objects.create(name="Riverside Practice", slug="riverside", timezone="UTC")
        self.alice = make_member(self.practice, "alice", Membership.Role.CLINICIAN)
        self.ana = make_client(self.practice, self.alice, "r-001", "Ana", "Whitfield")
        for _ in range(4):
            events.record(events.ClientViewed(practice=self.practice, actor=self.alice.user, client=self.ana))

    def tearDown(self):
        import shutil

        shutil.rmtree(self.tmp, ignore_errors=True)

    def run_command(self, *args) -> str:
        out = StringIO()
        call_command(*args, stdout=out)
        return out.getvalue()

    def test_backup_wipe_restore_verify_round_trip(self):
        dest = os.path.join(self.tmp, "nested", "backups")
        out = self.run_command("backup", dest + os.sep)
        [name] = os.listdir(dest)
        path = os.path.join(dest, name)
        self.assertIn("audit events", out)
        self.assertEqual(mode(path), 0o600)
        self.assertEqual(mode(dest), 0o700)
        with open(path, "rb") as f:
            data = f.read()
        self.assertNotIn(b"Whitfield", data)
        self.assertNotIn(b"r-001@example.org", data)

        call_command("flush", interactive=False, verbosity=0)  # the wipe
        self.assertEqual((Client.objects.count(), AuditEvent.objects.count()), (0, 0))

        checked = self.run_command("restore", path, "--verify")
        self.assertIn("scratch database (now removed)", checked)
        self.assertIn("every table matches", checked)
        self.assertIn("Audit trail: 4 events checked, from event 1 to event 4; each sealed and in order.", checked)
        self.assertEqual(Client.objects.count(), 0, "--verify must not touch the live database")

        with self.assertRaises(CommandError):
            call_command("restore", path)  # a real restore needs --yes
        restored = self.run_command("restore", path, "--yes")
        self.assertIn("Everything checked matches the backup.", restored)
        ana = Client.objects.get()
        self.assertEqual((ana.first_name, ana.last_name), ("Ana", "Whitfield"))
        self.assertEqual(Appointment.objects.filter(episode__client=ana).count(), 2)
        self.assertEqual(AuditEvent.objects.filter(client=ana).count(), 4)
        report = chain.verify()
        self.assertTrue(report.ok, report.problems)
        # The chain carries on from the restored end, and the triggers came back with it.
        events.record(events.ClientViewed(practice=self.practice, actor=self.alice.user, client=ana))
        self.assertEqual(AuditEvent.objects.order_by("-seq").first().seq, 5)
        self.assertTrue(chain.verify().ok)
        with self.assertRaises(Exception):
            with connection.cursor() as cur:
                cur.execute(f"UPDATE {T} SET verb = 'x'")

    def test_verify_reports_a_tampered_trail_in_the_backup(self):
        with as_the_database_owner() as cur:
            cur.execute(f"UPDATE {T} SET target_id = '0' WHERE seq = 2")
        path, manifest = backup.backup(os.path.join(self.tmp, "b.backup"))
        self.assertEqual(manifest.audit_seq, 4)
        _, result = backup.verify_backup(path)
        self.assertFalse(result.ok)
        self.assertIn("was changed after it was written", " ".join(result.problems))
        with self.assertRaises(CommandError):
            call_command("restore", str(path), "--verify", stdout=StringIO())

    def test_a_key_file_and_the_wrong_key(self):
        key = os.path.join(self.tmp, "keys", "backup.key")
        self.run_command("backup", "--new-key-file", key)
        self.assertEqual((mode(key), mode(os.path.dirname(key))), (0o600, 0o700))
        path, _ = backup.backup(os.path.join(self.tmp, "k.backup"), key_file=key)
        with self.assertRaises(backup.BackupError) as caught:
            backup.read(path)  # the practice's own key did not make it
        self.assertIn("cannot be opened with the key given", str(caught.exception))
        manifest, result = backup.verify_backup(path, key_file=key)
        self.assertTrue(result.ok, result.problems)
        with self.assertRaises(backup.BackupError):
            backup.new_key_file(key)  # never overwritten

    def test_prune_keeps_the_newest(self):
        for stamp in ("20260101-000000", "20260102-000000", "20260103-000000"):
            open(os.path.join(self.tmp, f"stillhere-{stamp}.backup"), "w").close()
        gone = backup.prune(self.tmp, 2)
        self.assertEqual([p.name for p in gone], ["stillhere-20260101-000000.backup"])


def test_without_pg_dump_the_error_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    try:
        backup._pg_tool("pg_dump")
    except backup.BackupError as e:
        assert "pg_dump was not found" in str(e) and "postgresql-client" in str(e)
    else:
        raise AssertionError("no error")
