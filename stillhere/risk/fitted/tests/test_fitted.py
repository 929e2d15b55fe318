from datetime import date, datetime, timedelta, timezone

import numpy as np
import pandas as pd
from django.core.management import call_command
import shutil
import tempfile
from pathlib import Path

from django.test import TestCase, override_settings

from stillhere.accounts.models import Practice
from stillhere.clients.models import Appointment
from stillhere.engagement.scan import scan_practice
from stillhere.features.sources import from_django
from stillhere.risk import default_model
from stillhere.risk.fitted import card, decision, fit, rows, store, use
from stillhere.risk.models import CurrentRisk, RiskScore

AS_OF = datetime(2026, 11, 1, tzinfo=timezone.utc)


def synthetic_rows(n_weeks=20, per_week=300, seed=0, default_knows=True):
    """Rows whose label the standard model's risk predicts well and the
    features do not (default_knows), or the other way round."""
    rng = np.random.default_rng(seed)
    n = n_weeks * per_week
    df = pd.DataFrame({f: rng.random(n) for f in rows.FEATURES})
    signal = rng.random(n)
    y = (rng.random(n) < 0.05 + 0.5 * signal ** 4).astype(int)
    if default_knows:
        df["risk"] = 0.05 + 0.5 * signal ** 4
    else:
        df["risk"] = rng.random(n) * 0.2
        df["c_missed_open"] = signal * 1.5
    df["y"] = y
    df["t_s"] = np.repeat(np.arange(n_weeks) * 7 * 86400, per_week)
    df["episode_id"] = np.arange(n)
    df["age_band"] = rng.choice(["under 25", "25 to 44"], n)
    return df


class ModelDir:
    """Fitted model files go to a temporary data dir, removed after the test."""

    def setUp(self):
        super().setUp()
        self._dir = tempfile.mkdtemp()
        self._override = override_settings(DATA_DIR=Path(self._dir))
        self._override.enable()

    def tearDown(self):
        self._override.disable()
        shutil.rmtree(self._dir, ignore_errors=True)
        super().tearDown()


class GateTests(TestCase):
    def test_a_fitted_model_worse_than_the_standard_one_is_not_used(self):
        f = fit.fit(synthetic_rows(default_knows=True))
        self.assertGreaterEqual(f.events, fit.MIN_EVENTS)
        self.assertLess(f.metrics["fitted"]["auc"], f.metrics["default"]["auc"])
        self.assertFalse(f.in_use)
        self.assertIn("no better than the standard model", f.why)

    def test_a_better_model_with_enough_dropouts_passes_the_gate(self):
        f = fit.fit(synthetic_rows(default_knows=False))
        self.assertTrue(f.in_use, f.why)
        self.assertGreater(f.metrics["fitted"]["auc"], f.metrics["default"]["auc"])
        lo, hi = f.metrics["fitted"]["auc_ci"]
        self.assertLess(lo, f.metrics["fitted"]["auc"])
        self.assertGreater(hi, f.metrics["fitted"]["auc"])
        self.assertEqual(len(f.metrics["fitted"]["calibration"]), 10)
        self.assertEqual({g["group"] for g in f.metrics["fairness"]["fitted"]}, {"under 25", "25 to 44"})
        self.assertEqual(f.metrics["top_signals"][0]["signal"], "missed_open")


class FittedTests(ModelDir, TestCase):
    @classmethod
    def setUpTestData(cls):
        call_command("simulate", clients=120, into_db=True, practice="sim", as_of=date(2026, 11, 1), years=1,
                     verbosity=0)
        cls.practice = Practice.objects.get(slug="sim")

    def test_features_at_T_ignore_later_facts(self):
        T = int(datetime(2026, 6, 1, tzinfo=timezone.utc).timestamp())
        before = rows.features_at(from_django(self.practice.pk), T).sort_values("episode_id")
        later = Appointment.objects.filter(episode__client__practice=self.practice).first()
        later.pk = None
        later.start = datetime(2026, 6, 3, tzinfo=timezone.utc)
        later.status = "no_show"
        later.external_id = "later-fact"
        later.save()
        after = rows.features_at(from_django(self.practice.pk), T).sort_values("episode_id")
        pd.testing.assert_frame_equal(before.reset_index(drop=True), after.reset_index(drop=True))

    def test_decision_point_facts_at_T_ignore_later_facts(self):
        """The decision-point features (the latest session, its lateness and
        markers, what is booked) as of T do not move for a session after T,
        and do for the same session before T (so the test could see it)."""
        T = int(datetime(2026, 6, 1, tzinfo=timezone.utc).timestamp())
        src = lambda: from_django(self.practice.pk)  # noqa: E731
        before = rows.features_at(src(), T).set_index("episode_id").sort_index()
        ep = int(before.index[0])
        appt = Appointment.objects.filter(episode_id=ep).first()
        appt.pk, appt.external_id, appt.status, appt.minutes_late = None, "later-session", "attended", 25
        appt.start = datetime(2026, 6, 3, 10, tzinfo=timezone.utc)
        appt.booked_at = datetime(2026, 5, 20, tzinfo=timezone.utc)
        appt.save()
        after = rows.features_at(src(), T).set_index("episode_id").sort_index()
        pd.testing.assert_frame_equal(decision.features(before), decision.features(after))
        self.assertEqual(decision.at_decision_point(before).tolist(), decision.at_decision_point(after).tolist())
        appt.start = datetime(2026, 5, 29, 10, tzinfo=timezone.utc)
        appt.save()
        earlier = rows.features_at(src(), T).set_index("episode_id").sort_index()
        x = decision.features(earlier).loc[ep]
        self.assertTrue(decision.at_decision_point(earlier.loc[[ep]])[0])
        self.assertEqual(x["late_10min"], 2.5)
        self.assertLess(x["days_since"], 3)

    def test_decision_point_rows_and_their_label(self):
        r = rows.training_rows(from_django(self.practice.pk), int(AS_OF.timestamp()), step_days=7)
        dp = r[r.dp]
        self.assertGreater(len(dp), 0)
        self.assertLess(len(dp), len(r))
        self.assertTrue(((dp.t_s - dp.last_slot_s) <= 7 * 86400).all())
        # "Never came to another session" is a 30-day dropout too, never the other way round.
        self.assertTrue((r.y_now <= r.y).all())
        self.assertGreater(r.y.sum(), r.y_now[r.dp].sum())

    def test_training_moments_stop_where_the_record_does(self):
        # An export whose last session was long ago: asked as of years later, no week after the record.
        last = Appointment.objects.filter(practice=self.practice).order_by("-start").first().start
        years_on = int(AS_OF.timestamp()) + 3 * 365 * 86400
        r = rows.training_rows(from_django(self.practice.pk), years_on, step_days=28)
        self.assertFalse(r.empty)
        self.assertLessEqual(r.t_s.max() + rows.HORIZON_DAYS * 86400, int(last.timestamp()))

    def test_an_imported_history_without_recorded_endings_learns_them_from_the_silence(self):
        """Imports rarely record dropouts: with the endings wiped, the long
        silence after a client's last word labels them, and nothing after
        as-of is read to do it."""
        from stillhere.clients.models import Episode

        as_of = int(AS_OF.timestamp())
        recorded = rows.training_rows(from_django(self.practice.pk), as_of, step_days=28, silence_days=120)
        Episode.objects.filter(practice=self.practice, end_reason="no_goodbye").update(
            ended=None, end_reason="", state=Episode.State.LAPSED)
        silent = rows.training_rows(from_django(self.practice.pk), as_of, step_days=28, silence_days=120)
        self.assertEqual(rows.training_rows(from_django(self.practice.pk), as_of, step_days=28).y.sum(), 0)
        self.assertGreater(silent.y.sum(), 0)
        # The silence finds most of the dropouts the record had (by the last moment whose silence is over).
        self.assertGreater(silent.groupby("episode_id").y.max().sum(),
                           0.7 * recorded.groupby("episode_id").y.max().sum())
        self.assertLessEqual(silent.t_s.max(), as_of - (120 + rows.HORIZON_DAYS) * 86400)
        # A booking made after as-of, for a client gone quiet before it, changes no label.
        quiet = silent[silent.y == 1].episode_id.iloc[0]
        ep = Episode.objects.get(pk=quiet)
        later = Appointment.objects.filter(episode=ep).first()
        later.pk, later.external_id = None, "booked-after-as-of"
        later.start, later.booked_at = AS_OF + timedelta(days=10), AS_OF + timedelta(days=2)
        later.status = "scheduled"
        later.save()
        again = rows.training_rows(from_django(self.practice.pk), as_of, step_days=28, silence_days=120)
        pd.testing.assert_series_equal(silent.y.reset_index(drop=True), again.y.reset_index(drop=True))

    def test_too_few_events_keeps_default(self):
        row, n = store.fit_practice(self.practice, int(AS_OF.timestamp()), step_days=28)
        self.assertGreater(n, 0)
        self.assertFalse(row.in_use)
        self.assertTrue(row.why.startswith("Not"))
        # The scan keeps the standard model, and the card says why in words.
        self.assertIs(use.for_practice(self.practice), use.STANDARD)
        c = card.build(self.practice)
        self.assertEqual(c.in_use, "The standard model")
        self.assertIn(row.why, card.text(c))
        self.assertEqual({g.group for g in c.groups} - {"under 25", "25 to 44", "45 to 64", "65 and over"}, set())

    def _accepted(self):
        """A model fitted on this practice's rows and marked as passing the gate
        (a 120-client practice has too few dropouts to pass it honestly)."""
        data = rows.training_rows(from_django(self.practice.pk), int(AS_OF.timestamp()), step_days=14)
        f = fit.fit(data)
        self.assertIsNotNone(f.model)
        f.in_use = True
        return store.save(self.practice, f)

    def test_an_accepted_model_scores_the_scan_with_the_same_phrases(self):
        scan_practice(self.practice, AS_OF)
        standard = dict(CurrentRisk.objects.filter(practice=self.practice).values_list("episode_id", "risk"))
        self.assertEqual(set(CurrentRisk.objects.values_list("model_version", flat=True)),
                         {default_model.MODEL_VERSION})
        row = self._accepted()
        scan_practice(self.practice, AS_OF)
        fitted = dict(CurrentRisk.objects.filter(practice=self.practice).values_list("episode_id", "risk"))
        self.assertEqual(set(CurrentRisk.objects.values_list("model_version", flat=True)), {row.version})
        self.assertEqual(fitted.keys(), standard.keys())
        self.assertNotEqual(fitted, standard)
        # Every reason is one the standard model would say of the same client.
        df, _ = __import__("stillhere.engagement.scan", fromlist=["x"]).scored_frame(self.practice, AS_OF)
        by_ep = {r["episode_id"]: r for r in df.to_dict("records")}
        said = 0
        for s in RiskScore.objects.filter(practice=self.practice, model_version=row.version):
            allowed = default_model.reasons(by_ep[s.episode_id], self.practice.tz, limit=99)
            self.assertLessEqual(set(s.reasons), set(allowed))
            self.assertLessEqual(set(s.contributions), set(default_model.SIGNALS))
            said += bool(s.reasons)
        self.assertGreater(said, 0)

    def test_the_week_after_a_session_is_scored_by_the_decision_point_model(self):
        data = rows.training_rows(from_django(self.practice.pk), int(AS_OF.timestamp()), step_days=7)
        minimum, fit.MIN_DECISION_EVENTS = fit.MIN_DECISION_EVENTS, 3   # a 120-client practice has few
        try:
            f = fit.fit(data)
        finally:
            fit.MIN_DECISION_EVENTS = minimum
        self.assertIn("decision", f.model)
        self.assertEqual(f.features, rows.FEATURES + decision.FEATURES)
        self.assertIn("fitted_auc", f.metrics["decision_points"])
        f.in_use = True
        row = store.save(self.practice, f)
        self.assertIn("In the week after a session", card.text(card.build(self.practice)))
        scan_practice(self.practice, AS_OF)
        df, _ = __import__("stillhere.engagement.scan", fromlist=["x"]).scored_frame(self.practice, AS_OF)
        at = decision.at_decision_point(df)
        self.assertTrue(at.any() and not at.all())
        model = store.load(row)
        z = model["decision"]["base"].decision_function(decision.features(df[at]).to_numpy(float))
        expected = 1 / (1 + np.exp(-(model["decision"]["a"] * z + model["decision"]["b"])))
        stored = dict(CurrentRisk.objects.filter(practice=self.practice).values_list("episode_id", "risk"))
        scored = df.episode_id[at].isin(list(stored)).to_numpy()   # open episodes carry a current risk
        self.assertTrue(scored.any())
        got = np.array([stored[e] for e in df.episode_id[at][scored]])
        np.testing.assert_allclose(got, expected[scored], rtol=1e-6)
        by_ep = {r["episode_id"]: r for r in df.to_dict("records")}
        for s in RiskScore.objects.filter(practice=self.practice, model_version=row.version):
            self.assertLessEqual(set(s.reasons), set(default_model.reasons(by_ep[s.episode_id], self.practice.tz,
                                                                           limit=99)))

    def test_a_rejected_model_is_not_used_even_after_an_accepted_one(self):
        self._accepted()
        rejected = fit.fit(rows.training_rows(from_django(self.practice.pk), int(AS_OF.timestamp()), step_days=14))
        rejected.in_use = False
        store.save(self.practice, rejected)
        scan_practice(self.practice, AS_OF)
        self.assertEqual(set(CurrentRisk.objects.values_list("model_version", flat=True)),
                         {default_model.MODEL_VERSION})
