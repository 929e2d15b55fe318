"""Fit, choose by temporal validation, calibrate on a later period.

The moments are split in time: the first 60% train, the next 20% validate
(choose between the logistic and the boosted model), the last 20% calibrate
and are the held-out rows the gate compares against the default model.
Never a random split: a model must predict a future it has not seen.
"""

from dataclasses import dataclass, field

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from .rows import FEATURES

# The fitted model replaces the default only with at least this many
# dropouts in the held-out period: fewer, and its AUC is too noisy to trust.
MIN_EVENTS = 50


def ece(p, y, bins=10) -> float:
    p, y = np.asarray(p, float), np.asarray(y, float)
    edges = np.quantile(p, np.linspace(0, 1, bins + 1))
    idx = np.clip(np.searchsorted(edges[1:-1], p, side="right"), 0, bins - 1)
    return float(sum(abs(p[idx == b].mean() - y[idx == b].mean()) * (idx == b).mean()
                     for b in range(bins) if (idx == b).any()))


def _auc(y, p):
    return float(roc_auc_score(y, p)) if 0 < np.sum(y) < len(y) else float("nan")


def interval(y, p, metric, n=200, seed=0):
    """A bootstrap 95% interval of metric(y, p)."""
    rng = np.random.default_rng(seed)
    y, p = np.asarray(y), np.asarray(p)
    vals = []
    for _ in range(n):
        i = rng.integers(0, len(y), len(y))
        if 0 < y[i].sum() < len(i):
            vals.append(metric(y[i], p[i]))
    return (float(np.percentile(vals, 2.5)), float(np.percentile(vals, 97.5))) if vals else (None, None)


@dataclass
class Fitted:
    kind: str
    model: object
    metrics: dict
    window: tuple
    events: int
    in_use: bool
    why: str
    features: list = field(default_factory=lambda: list(FEATURES))


def split(rows):
    ts = np.sort(rows.t_s.unique())
    a, b = ts[int(len(ts) * 0.6)], ts[int(len(ts) * 0.8)]
    return rows[rows.t_s < a], rows[(rows.t_s >= a) & (rows.t_s < b)], rows[rows.t_s >= b]


def fit(rows) -> Fitted:
    if rows.empty or rows.t_s.nunique() < 5:
        return Fitted("none", None, {}, (None, None), int(rows.y.sum()) if len(rows) else 0, False,
                      "Not enough history yet to learn from: fewer than five weeks of past moments.")
    train, val, cal = split(rows)
    X = lambda d: d[FEATURES].to_numpy(float)  # noqa: E731
    cands = {
        "logistic": make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000)),
        "boosted": HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, l2_regularization=1.0,
                                                  random_state=0),
    }
    scores = {}
    for k, m in cands.items():
        if train.y.nunique() < 2:
            break
        m.fit(X(train), train.y)
        scores[k] = _auc(val.y, m.predict_proba(X(val))[:, 1])
    events = int(cal.y.sum())
    window = (int(rows.t_s.min()), int(rows.t_s.max()))
    if not scores or cal.y.nunique() < 2:
        return Fitted("none", None, {}, window, events, False,
                      "Too few dropouts in the history to learn from.")
    kind = max(scores, key=lambda k: -1 if np.isnan(scores[k]) else scores[k])
    best = cands[kind]
    # Calibrate on the later period, then judge on it beside the default.
    calibrated = CalibratedClassifierCV(FrozenEstimator(best), method="sigmoid").fit(X(cal), cal.y)
    p = calibrated.predict_proba(X(cal))[:, 1]
    d = cal.risk.to_numpy(float)
    m = {"validation_auc": scores, "held_out_rows": len(cal)}
    for name, q in (("fitted", p), ("default", d)):
        m[name] = {"auc": _auc(cal.y, q), "auc_ci": interval(cal.y, q, _auc),
                   "brier": float(brier_score_loss(cal.y, q)), "ece": ece(q, cal.y)}
    better = m["fitted"]["auc"] > m["default"]["auc"]
    if events < MIN_EVENTS:
        in_use, why = False, (f"Not in use: only {events} dropouts in the held-out period; "
                              f"at least {MIN_EVENTS} are needed to trust the comparison.")
    elif not better:
        in_use, why = False, ("Not in use: it ranked clients no better than the standard model "
                              "on the held-out period.")
    else:
        in_use, why = True, "In use: it ranked clients better than the standard model on the held-out period."
    return Fitted(kind, {"calibrated": calibrated, "base": best}, m, window, events, in_use, why)
