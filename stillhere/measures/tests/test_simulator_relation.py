"""The simulator's SRS, ORS and PHQ-9 series carry the dropout signal, so
risk scoring (and the alerts here) can learn from them and be checked
against the oracle hazard."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from stillhere.measures.alerts import ALLIANCE_DROP, ALLIANCE_LOW, NOT_ON_TRACK, current_alerts
from stillhere.measures.scoring import ScoringError, score
from stillhere.simulator.generate import simulate

AS_OF = date(2026, 11, 1)


@pytest.fixture(scope="module")
def rated():
    """One row per rated session: its SRS/ORS/PHQ-9 totals and the true hazard after it."""
    sim = simulate(6000, seed=5, as_of=AS_OF)
    a = sim.appointments[sim.appointments.status == "attended"].copy()
    a["date"] = a["start"].dt.tz_convert(sim.timezone).dt.date
    a = a.drop_duplicates(["client_id", "date"], keep=False)
    wide = sim.measures.pivot_table(index=["client_id", "date"], columns="instrument", values="total").reset_index()
    df = wide.merge(a[["client_id", "date", "appointment_id", "episode_id", "session_number"]],
                    on=["client_id", "date"])
    df = df.merge(sim.truth[["appointment_id", "hazard"]], on="appointment_id")
    outcome = sim.truth_episodes.set_index("episode_id")["outcome"]
    df["no_goodbye"] = df["episode_id"].map(outcome).eq("no_goodbye").to_numpy()
    return sim, df.sort_values(["episode_id", "date"]).reset_index(drop=True)


def test_every_simulated_total_passes_the_instrument_registry(rated):
    sim, _ = rated
    for row in sim.measures.sample(3000, random_state=1).itertuples():
        try:
            score(row.instrument, total=row.total)
        except ScoringError as e:  # pragma: no cover - the failure message is the point
            pytest.fail(str(e))
    assert set(sim.measures.instrument) == {"SRS", "ORS", "PHQ-9"}


def test_a_low_alliance_score_comes_with_a_higher_dropout_hazard(rated):
    _, df = rated
    later = df[df.session_number >= 6]  # past the early-session peak, which would swamp the signal
    low, ok = later[later.SRS < 36].hazard.mean(), later[later.SRS >= 36].hazard.mean()
    assert low > 1.3 * ok
    rho = later[["SRS", "hazard"]].corr(method="spearman").iloc[0, 1]
    assert rho < -0.1


def test_clients_who_leave_without_goodbye_rated_the_alliance_lower(rated):
    # Sharf, Primavera & Diener (2010): alliance and dropout, d = 0.55.
    _, df = rated
    per_episode = df.groupby("episode_id").agg(srs=("SRS", "mean"), no_goodbye=("no_goodbye", "first"))
    gap = per_episode[~per_episode.no_goodbye].srs.mean() - per_episode[per_episode.no_goodbye].srs.mean()
    assert gap / per_episode.srs.std() > 0.3
    last = df.groupby("episode_id").tail(1)
    assert last[last.no_goodbye].SRS.mean() < last[~last.no_goodbye].SRS.mean() - 0.5


def test_no_reliable_ors_improvement_after_six_sessions_comes_with_a_higher_hazard(rated):
    _, df = rated
    first = df.groupby("episode_id")["ORS"].transform("first")
    later = df[df.session_number >= 8].assign(gain=lambda d: d.ORS - first[d.index])
    stuck, improved = later[later.gain < 5].hazard.mean(), later[later.gain >= 5].hazard.mean()
    assert stuck > 1.15 * improved


def test_the_phq9_series_mirrors_ors_and_the_same_signal(rated):
    _, df = rated
    both = df.dropna(subset=["PHQ-9"])
    assert len(both) > 1000
    assert both[["ORS", "PHQ-9"]].corr().iloc[0, 1] < -0.7
    first = both.groupby("episode_id")["PHQ-9"].transform("first")
    later = both[both.session_number >= 8].assign(better=lambda d: first[d.index] - d["PHQ-9"])
    assert later[later.better < 6].hazard.mean() > later[later.better >= 6].hazard.mean()


def test_sessions_the_alerts_flag_carry_more_dropout_hazard(rated):
    """The alert rules, replayed session by session on simulated histories,
    pick out sessions the oracle says are riskier."""
    _, df = rated
    df = df[df.session_number >= 4]
    flagged, calm = [], []
    for _, ep in list(df.groupby("episode_id"))[:1500]:
        history = []
        for r in ep.itertuples():
            history.append({"instrument": "SRS", "taken_on": r.date, "total": r.SRS})
            history.append({"instrument": "ORS", "taken_on": r.date, "total": r.ORS})
            kinds = {a.kind for a in current_alerts(history)}
            (flagged if kinds & {ALLIANCE_LOW, ALLIANCE_DROP, NOT_ON_TRACK} else calm).append(r.hazard)
    assert np.mean(flagged) > 1.2 * np.mean(calm)
    assert len(flagged) > 100 and len(calm) > 100


def test_the_measures_frame_keeps_the_generic_import_columns(rated):
    sim, _ = rated
    # The generic import's columns, plus the episode each rating was taken in
    # (the simulator knows it; write_csv leaves it out of measures.csv).
    assert list(sim.measures.columns) == ["client_id", "episode_id", "date", "instrument", "total"]
    assert pd.api.types.is_float_dtype(sim.measures.total)
