"""The practice page's intervals are the Wilson intervals SciPy gives."""

import pytest
from scipy.stats import binomtest

from stillhere.analytics.report import Rate, wilson_interval


@pytest.mark.parametrize("total", [1, 2, 5, 17, 100, 2481])
def test_it_matches_scipy_for_every_count(total):
    for events in sorted({0, 1, total // 3, total // 2, total - 1, total}):
        ci = binomtest(events, total).proportion_ci(0.95, method="wilson")
        low, high = wilson_interval(events, total)
        assert low == pytest.approx(ci.low, abs=1e-12)
        assert high == pytest.approx(ci.high, abs=1e-12)


def test_a_rate_with_nothing_counted_has_no_interval():
    assert Rate("none", 0, 0).ci is None


def test_a_small_count_gives_a_wide_interval_and_a_large_one_narrow():
    small, large = Rate("a", 2, 10).ci, Rate("b", 200, 1000).ci
    assert small[1] - small[0] > 0.4
    assert large[1] - large[0] < 0.06
    assert small[0] < 0.2 < small[1] and large[0] < 0.2 < large[1]
