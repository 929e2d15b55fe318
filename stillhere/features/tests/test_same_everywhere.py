"""The feature definitions give the same answers in the operational database
(SQLite or PostgreSQL, whichever this suite runs on), in DuckDB over the
simulator's Parquet files, and in DuckDB and in Spark (a local one, started
once for the class) over a snapshot of the database."""

import tempfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd
from django.test import TestCase

from stillhere.accounts.models import Practice
from stillhere.clients.models import Appointment, Episode
from stillhere.engagement.rules import derive
from stillhere.features.episode import episode_features
from stillhere.features.snapshot import from_snapshot, write_snapshot
from stillhere.features.sources import from_django, from_parquet
from stillhere.features.spark import connect as spark_connect
from stillhere.measures.bulk import load_measures
from stillhere.clients.bulk import load_practice
from stillhere.risk.default_model import score
from stillhere.simulator.generate import simulate
from stillhere.simulator.write import write_practice

AS_OF = date(2026, 6, 1)
COLUMNS = [
    "session_number", "n_no_show", "n_late_cancel", "n_events", "recent_events", "recent_missed",
    "last_attended_s", "last_missed_s", "last_cancel_s", "last_booking_made_s", "next_booking_s",
    "n_upcoming", "cadence_days", "days_since_contact", "has_next", "missed_open", "cancel_no_rebook",
    "max_late_recent", "hard_recent", "rupture_recent", "srs_latest", "srs_prev", "ors_first",
    "ors_latest", "n_ors", "alliance_low", "alliance_drop", "not_on_track", "safety", "avoidant",
    "conflict_avoidant", "people_pleasing", "ended_by_now", "risk", "derived_state", "derived_reason",
    "derived_at_s", "planned_end_s", "last_unrecorded_s", "outcome_pending",
    "last_slot_s", "last_slot_code", "last_came_late", "last_came_hard", "last_came_rupture",
]


class SameEverywhereTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.sim = simulate(250, seed=5, as_of=AS_OF)
        cls.practice = Practice.objects.create(name="Sim", slug="sim", timezone=cls.sim.timezone)
        s = cls.sim
        load_practice(cls.practice, s.clinicians, s.clients, s.episodes, s.appointments)
        load_measures(cls.practice, s.measures)

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        write_practice(self.sim, Path(self.tmp.name), csv=False)

    def tearDown(self):
        self.tmp.cleanup()

    def frame(self, src, as_of_s, ids):
        df = derive(score(episode_features(src, as_of_s))).execute()
        df["key"] = df["episode_id"].map(ids)
        return df.set_index("key").sort_index()[COLUMNS]

    def test_database_and_duckdb_agree_on_every_feature(self):
        db_ids = {pk: int(ext) for pk, ext in Episode.objects.filter(practice=self.practice)
                  .values_list("pk", "external_id")}
        snapshot = Path(self.tmp.name) / "snapshot"
        write_snapshot(from_django(self.practice.id), snapshot)
        spark_con = spark_connect()
        checked = 0
        for days_back in (0, 40, 200):
            as_of = datetime.combine(AS_OF, datetime.min.time(), timezone.utc) - timedelta(days=days_back)
            T = int(as_of.timestamp())
            db = self.frame(from_django(self.practice.id), T, db_ids)
            duck = self.frame(from_parquet(Path(self.tmp.name)), T, lambda x: int(x))
            snap = self.frame(from_snapshot(snapshot), T, db_ids)
            spark = self.frame(from_snapshot(snapshot, spark_con), T, db_ids)
            self.assertEqual(list(db.index), list(duck.index))
            self.assertEqual(list(db.index), list(snap.index))
            self.assertEqual(list(db.index), list(spark.index))
            self.assertGreater(len(db), 50)
            for col, (a, b) in [(c, (db[c], other[c])) for c in COLUMNS for other in (duck, snap, spark)]:
                if a.dtype.kind in "fc" or b.dtype.kind in "fc":
                    np.testing.assert_allclose(a.astype(float), b.astype(float), rtol=1e-9, equal_nan=True,
                                               err_msg=f"{col} as of {as_of:%Y-%m-%d}")
                else:
                    pd.testing.assert_series_equal(a.astype(object).where(a.notna(), None),
                                                   b.astype(object).where(b.notna(), None),
                                                   check_names=False, obj=f"{col} as of {as_of:%Y-%m-%d}")
                checked += 1
            # The simulated practice exercises the rules, not only "active".
            self.assertGreater(db["derived_state"].nunique(), 2)
        self.assertEqual(checked, 3 * 3 * len(COLUMNS))

    def test_final_sessions_and_unrecorded_outcomes_agree_in_the_database_duckdb_and_spark(self):
        """The simulator knows neither, so the database is given some: every
        fifth episode's last attended session becomes its final one, every
        seventh's last session before the as-of time left still "scheduled"."""
        as_of = datetime.combine(AS_OF, datetime.min.time(), timezone.utc)
        eps = list(Episode.objects.filter(practice=self.practice).order_by("pk").values_list("pk", flat=True))
        finals = [Appointment.objects.filter(episode_id=e, status="attended", start__lt=as_of)
                  .order_by("-start").values_list("pk", flat=True).first() for e in eps[::5]]
        Appointment.objects.filter(pk__in=[f for f in finals if f]).update(session_type="final")
        unrecorded = [Appointment.objects.filter(episode_id=e, start__lt=as_of).order_by("-start")
                      .values_list("pk", flat=True).first() for e in eps[::7]]
        Appointment.objects.filter(pk__in=[u for u in unrecorded if u]).update(status="scheduled")
        ids = {pk: pk for pk in eps}
        snapshot = Path(self.tmp.name) / "snapshot-final"
        write_snapshot(from_django(self.practice.id), snapshot)
        spark_con = spark_connect()
        T = int(as_of.timestamp())
        db = self.frame(from_django(self.practice.id), T, ids)
        snap = self.frame(from_snapshot(snapshot), T, ids)
        spark = self.frame(from_snapshot(snapshot, spark_con), T, ids)
        self.assertGreater(int(db["planned_end_s"].notna().sum()), 5)
        self.assertGreater(int(db["last_unrecorded_s"].notna().sum()), 5)
        self.assertGreater(int((db["derived_state"] == "ended_planned").sum()), 5)
        for other in (snap, spark):
            for col in COLUMNS:
                a, b = db[col], other[col]
                if a.dtype.kind in "fc" or b.dtype.kind in "fc":
                    np.testing.assert_allclose(a.astype(float), b.astype(float), rtol=1e-9, equal_nan=True,
                                               err_msg=col)
                else:
                    pd.testing.assert_series_equal(a.astype(object).where(a.notna(), None),
                                                   b.astype(object).where(b.notna(), None),
                                                   check_names=False, obj=col)
