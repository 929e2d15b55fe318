"""A snapshot's per-episode rating summaries stand in for the ratings only
where they can: for an episode last rated before the scan's as-of time.
An episode rated at or after it (a look back in time) is summed up afresh
from its ratings, so the answer is the same at any moment."""

import tempfile
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
from django.test import SimpleTestCase

from stillhere.features.episode import episode_features
from stillhere.features.snapshot import from_snapshot, write_snapshot
from stillhere.features.sources import from_parquet
from stillhere.simulator.generate import simulate
from stillhere.simulator.write import write_practice

AS_OF = date(2026, 6, 1)
RATINGS = ["srs_latest", "srs_prev", "ors_first", "ors_latest", "n_ors", "alliance_low", "alliance_drop",
           "not_on_track"]


class RatingSummariesTestCase(SimpleTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = tempfile.TemporaryDirectory()
        folder = Path(cls.tmp.name)
        write_practice(simulate(300, seed=11, as_of=AS_OF), folder, csv=False)
        write_snapshot(from_parquet(folder), folder / "snapshot")
        cls.snapshot = folder / "snapshot"

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()
        super().tearDownClass()

    def ratings(self, src, days_back: int) -> pd.DataFrame:
        T = int((datetime.combine(AS_OF, datetime.min.time(), timezone.utc) - timedelta(days=days_back)).timestamp())
        df = episode_features(src, T).execute().set_index("episode_id").sort_index()
        return df[RATINGS]

    def test_summaries_give_what_the_ratings_give_at_any_moment(self):
        src = from_snapshot(self.snapshot)
        from_ratings = replace(src, rating_summaries=None)
        for days_back in (0, 30, 120, 400):
            pd.testing.assert_frame_equal(self.ratings(src, days_back), self.ratings(from_ratings, days_back),
                                          obj=f"{days_back} days back")

    def test_an_episode_is_taken_from_its_summary_only_when_last_rated_before_the_as_of_time(self):
        src = from_snapshot(self.snapshot)
        s = src.rating_summaries
        # A summary that disagrees with the ratings shows which one was read.
        altered = replace(src, rating_summaries=s.mutate(n_ors=s.n_ors + 1000))
        now, true_now = self.ratings(altered, 0), self.ratings(src, 0)
        rated = true_now["n_ors"].fillna(0) > 0
        self.assertGreater(rated.sum(), 50)
        self.assertTrue((now.loc[rated, "n_ors"] == true_now.loc[rated, "n_ors"] + 1000).all())

        # Four months back, most of today's rated episodes had ratings still
        # to come: those are summed up from the ratings, the rest summarised.
        T = int((datetime.combine(AS_OF, datetime.min.time(), timezone.utc) - timedelta(days=120)).timestamp())
        last = s.select("episode_id", "last_taken_s").execute().set_index("episode_id")["last_taken_s"]
        back, true_back = self.ratings(altered, 120), self.ratings(src, 120)
        had = true_back["n_ors"].fillna(0) > 0
        rated_since = had & true_back.index.isin(last[last >= T].index)
        settled = had & ~rated_since
        self.assertGreater(rated_since.sum(), 10)
        self.assertGreater(settled.sum(), 10)
        pd.testing.assert_series_equal(back.loc[rated_since, "n_ors"], true_back.loc[rated_since, "n_ors"])
        self.assertTrue((back.loc[settled, "n_ors"] == true_back.loc[settled, "n_ors"] + 1000).all())
