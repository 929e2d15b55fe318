"""Fit, choose by temporal validation, calibrate on a later period.

The moments are split in time: the first 60% train, the next 20% validate
(choose between the logistic and the boosted model), the last 20% calibrate
and are the held-out rows the gate compares against the default model.
Never a random split: a model must predict a future it has not seen.

Beside it, the decision-point model (decision.py), fitted the same way on
the rows right after a session (train and validation weeks choose between
a logistic and a boosted model for "never came to another session"), then
mapped on the calibration weeks to the 30-day question (Platt), so that
its score means what the scan's always means. The scan scores an episode
at a decision point with it, and every other one with the weekly model;
the gate judges the two together.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss
from threadpoolctl import threadpool_limits
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from stillhere.risk.ranking import auc as _auc

from . import decision
from .rows import FEATURES, GROUP_PREFIX, group_names

# The fitted model replaces the default only with at least this many
# dropouts in the held-out period: fewer, and its AUC is too noisy to trust.
MIN_EVENTS = 50
# The decision-point model is fitted only with at least this many clients in
# the training weeks who never came back after a session: fewer, and the
# weekly model scores those moments too.
MIN_DECISION_EVENTS = 30


def ece(p, y, bins=10) -> float:
    p, y = np.asarray(p, float), np.asarray(y, float)
    edges = np.quantile(p, np.linspace(0, 1, bins + 1))
    idx = np.clip(np.searchsorted(edges[1:-1], p, side="right"), 0, bins - 1)
    return float(sum(abs(p[idx == b].mean() - y[idx == b].mean()) * (idx == b).mean()
                     for b in range(bins) if (idx == b).any()))


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
    # One thread: on a shared machine the boosted model's OpenMP threads
    # spin against each other (a 3,600-row fit took two minutes, not seconds).
    with threadpool_limits(1):
        return _fit(rows)


def _fit(rows) -> Fitted:
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
    model = {"calibrated": calibrated, "base": best}
    dec, dec_scores = fit_decision(train, val, cal)
    if dec is not None:
        model["decision"] = dec
    from .use import predict

    p = predict(model, cal)
    d = cal.risk.to_numpy(float)
    m = {"validation_auc": scores, "held_out_rows": len(cal), "rows": len(rows),
         "held_out_from": int(cal.t_s.min()), "train_events": int(train.y.sum()) + int(val.y.sum())}
    for name, q in (("fitted", p), ("default", d)):
        m[name] = measures(cal.y.to_numpy(), q)
    if dec is not None:
        at = cal.dp.to_numpy(bool)
        m["decision_points"] = {"kind": dec["kind"], "validation_auc": dec_scores, "rows": int(at.sum()),
                                "events": int(cal.y_now.to_numpy()[at].sum()),
                                "fitted_auc": _auc(cal.y_now.to_numpy()[at], p[at]),
                                "default_auc": _auc(cal.y_now.to_numpy()[at], d[at])}
    m["top_signals"] = top_signals(model, cal)
    def fairness(column):   # {"fitted": [...], "default": [...]}, by the groups in one column
        return {name: by_group(cal.y.to_numpy(), q, cal[column].to_numpy())
                for name, q in (("fitted", p), ("default", d))}

    if "age_band" in cal.columns:
        m["fairness"] = fairness("age_band")
    # Groups the practice imported for this report, each by its name.
    m["fairness_groups"] = {g: fairness(GROUP_PREFIX + g) for g in group_names(cal)}
    better = m["fitted"]["auc"] > m["default"]["auc"]
    if events < MIN_EVENTS:
        in_use, why = False, (f"Not in use: only {events} dropouts in the held-out period; "
                              f"at least {MIN_EVENTS} are needed to trust the comparison.")
    elif not better:
        in_use, why = False, ("Not in use: it ranked clients no better than the standard model "
                              "on the held-out period.")
    else:
        in_use, why = True, "In use: it ranked clients better than the standard model on the held-out period."
    return Fitted(kind, model, m, window, events, in_use, why,
                  features=list(FEATURES) + (list(decision.FEATURES) if dec is not None else []))


def fit_decision(train, val, cal):
    """The decision-point model, or None when the rows are too few (or
    carry no decision points: rows from before they were built)."""
    if "dp" not in train.columns or "y_now" not in train.columns:
        return None, {}
    tr, va, ca = (d[d.dp.astype(bool)] for d in (train, val, cal))
    if tr.y_now.sum() < MIN_DECISION_EVENTS or va.y_now.nunique() < 2 or ca.y.nunique() < 2:
        return None, {}
    Xd = lambda d: decision.features(d).to_numpy(float)  # noqa: E731
    cands = {
        "logistic": make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000)),
        "boosted": HistGradientBoostingClassifier(max_iter=300, learning_rate=0.03, max_leaf_nodes=8,
                                                  min_samples_leaf=100, l2_regularization=1.0, random_state=0),
    }
    scores = {}
    for k, m in cands.items():
        m.fit(Xd(tr), tr.y_now)
        scores[k] = _auc(va.y_now, m.predict_proba(Xd(va))[:, 1])
    kind = max(scores, key=lambda k: -1 if np.isnan(scores[k]) else scores[k])
    best = cands[kind]
    # Refit on train and validation weeks together, then map its log-odds to
    # the 30-day question on the calibration weeks (Platt: monotone, so the
    # ranking at decision points is the model's own).
    both = pd.concat([tr, va])
    best.fit(Xd(both), both.y_now)
    platt = LogisticRegression(C=1e4, max_iter=1000).fit(best.decision_function(Xd(ca)).reshape(-1, 1), ca.y)
    return {"kind": kind, "base": best, "a": float(platt.coef_[0, 0]), "b": float(platt.intercept_[0])}, scores


def _brier(y, p):
    return float(np.mean((np.asarray(p, float) - np.asarray(y, float)) ** 2))


def measures(y, p) -> dict:
    """AUC, Brier and calibration error, each with a bootstrap 95% interval,
    and a calibration table (tenths by predicted risk)."""
    return {"auc": _auc(y, p), "auc_ci": interval(y, p, _auc),
            "brier": _brier(y, p), "brier_ci": interval(y, p, _brier),
            "ece": ece(p, y), "ece_ci": interval(y, p, lambda a, b: ece(b, a), n=100),
            "calibration": calibration_table(y, p), "mean": float(np.mean(p)), "observed": float(np.mean(y))}


def calibration_table(y, p, bins=10) -> list[dict]:
    """Equal-count bins by predicted risk: mean predicted, share observed, count."""
    y, p = np.asarray(y, float), np.asarray(p, float)
    order = np.argsort(p, kind="stable")
    out = []
    for chunk in np.array_split(order, bins):
        if len(chunk):
            out.append({"predicted": float(p[chunk].mean()), "observed": float(y[chunk].mean()), "n": int(len(chunk))})
    return out


def top_signals(model: dict, rows, limit: int = 6) -> list[dict]:
    """The signals that move the fitted scores most on the held-out rows:
    each one's average part (log-odds) where present, times how often."""
    from .use import contributions

    parts = contributions(model, rows)
    out = []
    for col in parts.columns:
        on = rows[f"c_{col[2:]}"].to_numpy() > 0
        if on.any():
            mean = float(parts[col].to_numpy()[on].mean())
            out.append({"signal": col[2:], "part": mean, "share": float(on.mean()), "weight": mean * float(on.mean())})
    out.sort(key=lambda r: -r["weight"])
    return [r for r in out if r["part"] > 0][:limit]


MIN_GROUP_EVENTS = 10
# A group is flagged when its ranking's whole interval lies below the
# overall figure, or its observed rate's interval excludes what was predicted.
def by_group(y, p, groups) -> list[dict]:
    """Performance and calibration per group, with intervals and a flag where served worse."""
    y, p, groups = np.asarray(y), np.asarray(p, float), np.asarray(groups)
    overall = _auc(y, p)
    out = []
    for g in sorted(set(groups.tolist()), key=str):
        i = groups == g
        yi, pi = y[i], p[i]
        # A ranking of a handful of endings is noise: "too few to tell".
        few = int(yi.sum()) < MIN_GROUP_EVENTS
        auc = None if few else _auc(yi, pi)
        lo, hi = (None, None) if few else interval(yi, pi, _auc)
        obs_lo, obs_hi = _rate_interval(int(yi.sum()), int(len(yi)))
        ranks_worse = hi is not None and not np.isnan(overall) and hi < overall
        mis = not (obs_lo <= float(pi.mean()) <= obs_hi)
        out.append({"group": str(g), "n": int(len(yi)), "events": int(yi.sum()), "auc": auc, "auc_ci": (lo, hi),
                    "mean": float(pi.mean()), "observed": float(yi.mean()), "observed_ci": (obs_lo, obs_hi),
                    "ranks_worse": bool(ranks_worse), "miscalibrated": bool(mis)})
    return out


def _rate_interval(k: int, n: int) -> tuple[float, float]:
    """Wilson 95% interval of k events in n."""
    if n == 0:
        return (0.0, 1.0)
    z, ph = 1.96, k / n
    c = (ph + z * z / (2 * n)) / (1 + z * z / n)
    h = z * np.sqrt(ph * (1 - ph) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (float(max(0.0, c - h)), float(min(1.0, c + h)))
