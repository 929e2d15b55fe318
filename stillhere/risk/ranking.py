"""How well a score ranks who had the event above who did not: the AUC,
in NumPy alone. The no-show refit after every import and the fitted
dropout model's bootstrap ranges both need it; neither should import
scikit-learn or SciPy for it, nor pay scikit-learn's checks on every draw."""

import numpy as np


def auc(y, p) -> float:
    """The chance that a case with the event scores above one without it,
    ties counting half: the Mann-Whitney U over the number of pairs, on
    average ranks (the same figure as scikit-learn's roc_auc_score). NaN
    when either kind of case is missing."""
    y = np.asarray(y).astype(bool)
    events = int(y.sum())
    others = len(y) - events
    if events == 0 or others == 0:
        return float("nan")
    _, inverse, counts = np.unique(np.asarray(p, dtype=float), return_inverse=True, return_counts=True)
    ranks = (np.cumsum(counts) - (counts - 1) / 2.0)[inverse]   # 1-based average rank of each value
    return float((ranks[y].sum() - events * (events + 1) / 2) / (events * others))
