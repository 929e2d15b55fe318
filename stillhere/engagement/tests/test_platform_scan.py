"""A snapshot of all practices, partitioned by practice, scanned as one job
(DuckDB and Spark), gives each practice exactly what its own scan gives."""

import json
import tempfile
from pathlib import Path

from django.core.management import call_command

from stillhere.engagement.platform_scan import platform_written_at, scan_all_practices
from stillhere.engagement.scan import scan_practice
from stillhere.features.platform import read_platform_meta
from stillhere.features.snapshot import SnapshotError
from stillhere.risk.models import CurrentRisk
from stillhere.test import BaseTestCase, make_client


class PlatformScanTestCase(BaseTestCase):
    def setUp(self):
        # Bob's second client, so the practices differ in size.
        make_client(self.riverside, self.bob, "r-003", "Cai", "Clarke")
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = Path(self.tmp.name) / "all"
        call_command("snapshot", "--all-practices", "--out", str(self.dir), stdout=open("/dev/null", "w"))

    def tearDown(self):
        self.tmp.cleanup()

    def test_the_snapshot_is_partitioned_by_practice(self):
        meta = read_platform_meta(self.dir)
        self.assertEqual({v["practice"]: v["rows"]["episodes"] for v in meta["practices"].values()},
                         {"riverside": 3, "hillside": 1})
        self.assertEqual(sorted(p.name for p in (self.dir / "appointments").iterdir()),
                         sorted(f"practice_id={p.id}" for p in (self.riverside, self.hillside)))

    def test_one_job_over_all_practices_gives_each_what_its_own_scan_gives(self):
        as_of = platform_written_at(self.dir)
        alone = {p.slug: scan_practice(p, as_of, store=False).episodes for p in (self.riverside, self.hillside)}
        self.assertEqual(len(alone["riverside"]), 3)
        for engine in ("duckdb", "spark"):
            together = {p.slug: o.episodes for p, o in scan_all_practices(self.dir, as_of, engine, store=False)}
            self.assertEqual(json.dumps(together, sort_keys=True), json.dumps(alone, sort_keys=True), engine)
        scan_all_practices(self.dir, as_of)
        self.assertEqual(CurrentRisk.objects.filter(practice=self.riverside).count(), 3)
        self.assertEqual(CurrentRisk.objects.filter(practice=self.hillside).count(), 1)

    def test_a_scan_later_than_the_snapshot_is_refused(self):
        from datetime import timedelta

        with self.assertRaisesMessage(SnapshotError, "would miss what has happened since"):
            scan_all_practices(self.dir, platform_written_at(self.dir) + timedelta(hours=1))
