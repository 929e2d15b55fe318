"""Which dropout model the scan scores with: the practice's fitted model when
its latest fit passed the gate (fit.py: enough held-out dropouts and a better
ranking than the standard model), else the standard model.

Either way the scan gets the same three things: a risk per episode, the
reasons in words, and each signal's part in the score. The fitted model's
parts are counterfactual: how much lower its log-odds would be without that
signal (the signal's column set to zero, and the raw facts behind it set to
what they would be without it), so its reasons are the standard model's
phrases, ranked by what the fitted model makes of them. A clinician sees no
difference in kind, only in accuracy.

Only the latest fit decides: a practice whose newest fit lost to the
standard model goes back to the standard model, rather than to an older fit
that the newest weeks have not confirmed.
"""

import logging
from dataclasses import dataclass, field
from datetime import timezone

import numpy as np
import pandas as pd

from stillhere.risk import default_model

from . import decision
from .rows import FEATURES

log = logging.getLogger(__name__)


def _weekly(model: dict, df: pd.DataFrame) -> np.ndarray:
    X = df[FEATURES].astype("float64").fillna(0.0).to_numpy(float)
    return model["calibrated"].predict_proba(X)[:, 1]


def predict(model: dict, df: pd.DataFrame) -> np.ndarray:
    """The fitted 30-day risk: the decision-point model's for an episode
    whose latest session was in the last week (when the fit has one), else
    the weekly model's; both calibrated to the same question."""
    p = _weekly(model, df)
    dec = model.get("decision")
    if dec is not None:
        at = decision.at_decision_point(df)
        if at.any():
            z = dec["base"].decision_function(decision.features(df[at]).to_numpy(float))
            p[at] = 1.0 / (1.0 + np.exp(-(dec["a"] * z + dec["b"])))
    return p


def _logit(model: dict, df: pd.DataFrame) -> np.ndarray:
    p = np.clip(predict(model, df), 1e-9, 1 - 1e-9)
    return np.log(p / (1 - p))


def contributions(model: dict, df: pd.DataFrame) -> pd.DataFrame:
    """f_<signal> per row: the fitted log-odds this signal adds (0 where absent)."""
    full = _logit(model, df)
    out = pd.DataFrame(index=df.index)
    for k in default_model.SIGNALS:
        on = df[f"c_{k}"].astype("float64").fillna(0.0).to_numpy() > 0
        part = np.zeros(len(df))
        if on.any():
            part[on] = full[on] - _logit(model, decision.without(k, df[on]))
        out[f"f_{k}"] = part
    return out


@dataclass
class DropoutModel:
    """What the scan scores dropout with: `rescore` the frame, then per row
    `reasons`, `contributions` and `version` for the stored score."""

    version: str = default_model.MODEL_VERSION
    model: dict | None = None
    row: object = None
    prefix: str = field(default="c_")

    def rescore(self, df: pd.DataFrame) -> pd.DataFrame:
        if self.model is None or df.empty:
            return df
        df = df.copy()
        df["risk"] = predict(self.model, df)
        return pd.concat([df, contributions(self.model, df)], axis=1)

    def parts(self, row: dict) -> dict:
        """{signal: its part in this score}, only the signals present."""
        return {k: round(float(row[f"{self.prefix}{k}"]), 3) for k in default_model.SIGNALS
                if row[f"c_{k}"] and row[f"{self.prefix}{k}"]}

    def reasons(self, row: dict, tz=timezone.utc, limit: int = 3) -> list[str]:
        if self.model is None:
            return default_model.reasons(row, tz, limit)
        keys = [k for k in default_model.SIGNALS if row[f"c_{k}"] > 0 and row[f"f_{k}"] > 0]
        keys.sort(key=lambda k: -row[f"f_{k}"])
        return [default_model._words(k, row, tz) for k in keys[:limit]]


STANDARD = DropoutModel()


def for_practice(practice) -> DropoutModel:
    """The practice's fitted model if its latest fit is in use, else the standard one."""
    from . import store

    row = store.latest(practice)
    if row is None or not row.in_use or not row.path or list(row.features) not in (FEATURES, FEATURES + decision.FEATURES):
        return STANDARD
    try:
        model = store.load(row)
    except (OSError, ValueError, EOFError):
        # The file is gone or unreadable: score with the standard model
        # rather than not at all, and say so where the operator looks.
        log.warning("fitted model %s could not be read; the scan uses the standard model", row.version)
        return STANDARD
    return DropoutModel(version=row.version, model=model, row=row, prefix="f_")
