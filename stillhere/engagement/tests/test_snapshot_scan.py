"""A scan over a Parquet snapshot (`stillhere snapshot`, then `stillhere scan
--snapshot`) says exactly what the scan in the database says, and a snapshot
that cannot answer the question is refused with a reason."""

import io
import json
import tempfile
from datetime import date
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import TestCase

from stillhere.accounts.models import Practice
from stillhere.audit.models import AuditEvent
from stillhere.clients.bulk import load_practice
from stillhere.measures.bulk import load_measures
from stillhere.risk.models import CurrentRisk
from stillhere.simulator.generate import simulate

AS_OF = date(2026, 6, 1)


def scan_json(*args) -> list[dict]:
    out = io.StringIO()
    call_command("scan", *args, "--json", stdout=out, stderr=io.StringIO())
    return [json.loads(line) for line in out.getvalue().splitlines()]


class SnapshotScanTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        sim = simulate(200, seed=11, as_of=AS_OF)
        cls.practice = Practice.objects.create(name="Sim", slug="sim", timezone=sim.timezone)
        load_practice(cls.practice, sim.clinicians, sim.clients, sim.episodes, sim.appointments)
        load_measures(cls.practice, sim.measures)

    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.folder = Path(tmp.name) / "snap"
        out = io.StringIO()
        call_command("snapshot", "--practice", "sim", "--out", str(self.folder), stdout=out, stderr=io.StringIO())
        self.assertIn("snapshot written", out.getvalue())

    def test_the_snapshot_is_private_and_audited(self):
        for path in [self.folder, *self.folder.iterdir()]:
            self.assertEqual(path.stat().st_mode & 0o077, 0, f"{path.name} is readable by others")
        event = AuditEvent.objects.get(verb="snapshot-written", practice=self.practice)
        self.assertGreater(event.data["appointments"], 1000)
        self.assertEqual(event.data["folder"], str(self.folder.resolve()))

    def test_the_snapshot_scan_says_what_the_database_scan_says(self):
        for as_of in ("2026-06-01", "2026-03-15"):
            in_db = scan_json("--practice", "sim", "--as-of", as_of, "--dry-run")
            over_snapshot = scan_json("--practice", "sim", "--as-of", as_of, "--dry-run", "--snapshot", str(self.folder))
            self.assertGreater(len(in_db), 50)
            self.assertEqual(in_db, over_snapshot, f"as of {as_of}")
            self.assertTrue(any(e["upcoming"] for e in in_db), "some episodes have upcoming appointments")
            self.assertGreater(len({e["state"] for e in in_db}), 2)

    def test_without_as_of_a_snapshot_is_scanned_as_of_when_it_was_written(self):
        meta = json.loads((self.folder / "snapshot.json").read_text())
        self.assertEqual(scan_json("--practice", "sim", "--dry-run", "--snapshot", str(self.folder)),
                         scan_json("--practice", "sim", "--dry-run", "--as-of", meta["written_at"]))

    def test_a_snapshot_scan_stores_its_scores_like_any_scan(self):
        scan_json("--practice", "sim", "--as-of", "2026-06-01", "--snapshot", str(self.folder))
        self.assertGreater(CurrentRisk.objects.filter(practice=self.practice).count(), 50)

    def test_a_snapshot_that_cannot_answer_is_refused_with_the_reason(self):
        with self.assertRaisesMessage(CommandError, "would miss what has happened since"):
            scan_json("--practice", "sim", "--as-of", "2099-01-01", "--snapshot", str(self.folder))
        with self.assertRaisesMessage(CommandError, "say which with --practice"):
            scan_json("--snapshot", str(self.folder))
        Practice.objects.create(name="Other", slug="other")
        with self.assertRaisesMessage(CommandError, "holds the facts of practice 'sim', not 'other'"):
            scan_json("--practice", "other", "--as-of", "2026-06-01", "--snapshot", str(self.folder))
        with self.assertRaisesMessage(CommandError, "is not a snapshot"):
            scan_json("--practice", "sim", "--as-of", "2026-06-01", "--snapshot", str(self.folder.parent))
        # One written by an older version is in another shape: write it again.
        meta = json.loads((self.folder / "snapshot.json").read_text())
        (self.folder / "snapshot.json").write_text(json.dumps({**meta, "format": 2}))
        with self.assertRaisesMessage(CommandError, "is snapshot format 2; this version reads format 3"):
            scan_json("--practice", "sim", "--as-of", "2026-06-01", "--snapshot", str(self.folder))

    def test_the_snapshot_command_asks_which_practice_when_there_are_several(self):
        Practice.objects.create(name="Other", slug="other")
        with self.assertRaisesMessage(CommandError, "Say which practice"):
            call_command("snapshot", "--out", str(self.folder), stdout=io.StringIO(), stderr=io.StringIO())
