"""The NumPy AUC the no-show refit and the fitted model's ranges use gives
scikit-learn's figure, ties included."""

import math

import numpy as np
from sklearn.metrics import roc_auc_score

from stillhere.risk.ranking import auc


def test_the_auc_is_scikit_learns_with_ties_and_nan_without_both_kinds():
    rng = np.random.default_rng(0)
    for n in (7, 200, 5000):
        y = rng.random(n) < 0.2
        y[0], y[1] = True, False
        p = np.round(rng.random(n) + 0.3 * y, 1)   # rounded: many ties
        assert abs(auc(y, p) - roc_auc_score(y, p)) < 1e-12
    assert math.isnan(auc([1, 1, 1], [0.2, 0.5, 0.9]))
    assert math.isnan(auc([0, 0], [0.2, 0.5]))
