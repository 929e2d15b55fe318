"""The survival curve computed from the database's grouped counts gives the
figures lifelines' KaplanMeierFitter gives from one row per episode (which
is how the page computed it before it was moved into the database)."""

import random

import numpy as np
import pytest
from lifelines import KaplanMeierFitter

from stillhere.analytics.report import MAX_SESSIONS, kaplan_meier


def lifelines_curve(durations, events):
    """The page's computation as it was: lifelines over one row per episode."""
    durations = np.array(durations, dtype=float)
    events = np.array(events, dtype=bool)
    km = KaplanMeierFitter().fit(durations, events, label="engaged")
    grid = list(range(0, MAX_SESSIONS + 1))
    ci = km.confidence_interval_survival_function_
    median = km.median_survival_time_
    return (km.survival_function_at_times(grid).to_numpy(),
            np.interp(grid, ci.index.to_numpy(), ci.iloc[:, 0].to_numpy()),
            np.interp(grid, ci.index.to_numpy(), ci.iloc[:, 1].to_numpy()),
            [int((durations >= s).sum()) for s in grid], None if median == float("inf") else float(median))


def counts_of(durations, events):
    out = {}
    for n, ev in zip(durations, events):
        out[(n, int(ev))] = out.get((n, int(ev)), 0) + 1
    return [(n, ev, k) for (n, ev), k in out.items()]


CASES = {
    "a simulated-looking practice": lambda rng: [(min(int(rng.expovariate(1 / 9)), 45), rng.random() < 0.3)
                                                 for _ in range(800)],
    "nobody left without goodbye": lambda rng: [(rng.randint(0, 20), False) for _ in range(40)],
    "everyone left, some at once": lambda rng: [(rng.choice([0, 1, 1, 2, 5, 5, 5]), True) for _ in range(30)],
    "few episodes, long courses": lambda rng: [(rng.randint(10, 60), rng.random() < 0.5) for _ in range(7)],
    "the last at risk leave together": lambda rng: [(3, False), (4, True), (6, True), (6, True), (2, False)],
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_counts_give_lifelines_figures(case):
    rows = CASES[case](random.Random(case))
    durations, events = [n for n, _ in rows], [e for _, e in rows]
    surv, lo, hi, at_risk, median = lifelines_curve(durations, events)
    got = kaplan_meier(counts_of(durations, events))
    assert got.sessions == list(range(0, MAX_SESSIONS + 1))
    np.testing.assert_allclose(got.survival, surv, atol=1e-12)
    np.testing.assert_allclose(got.lower, lo, atol=1e-12)
    np.testing.assert_allclose(got.upper, hi, atol=1e-12)
    assert got.at_risk == at_risk
    assert got.median == median
    assert (got.episodes, got.events) == (len(rows), sum(events))
