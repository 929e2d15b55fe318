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

from .rows import FEATURES

log = logging.getLogger(__name__)

# The raw facts behind some signals, and what they would be without it, so
# that a signal's part includes what the fitted model learned from them.
def _without(key: str, X: pd.DataFrame) -> pd.DataFrame:
    X = X.copy()
    X[f"c_{key}"] = 0.0
    if key in ("first_session", "early_sessions", "early_weeks"):
        X["session_number"] = np.maximum(X["session_number"], 7.0)
    elif key == "recent_missed":
        X["recent_missed"] = 0.0
    elif key in ("gap_long", "gap_very_long"):
        X["days_since_contact"] = np.minimum(X["days_since_contact"], X["cadence_days"])
    return X


def _logit(base, X: pd.DataFrame) -> np.ndarray:
    return base.decision_function(X[FEATURES].to_numpy(float))


def contributions(model: dict, df: pd.DataFrame) -> pd.DataFrame:
    """f_<signal> per row: the fitted log-odds this signal adds (0 where absent)."""
    X = df[FEATURES].astype("float64").fillna(0.0)
    base = model["base"]
    full = _logit(base, X)
    out = pd.DataFrame(index=df.index)
    for k in default_model.SIGNALS:
        on = X[f"c_{k}"].to_numpy() > 0
        part = np.zeros(len(X))
        if on.any():
            part[on] = full[on] - _logit(base, _without(k, X[on]))
        out[f"f_{k}"] = part
    return out


def predict(model: dict, df: pd.DataFrame) -> np.ndarray:
    X = df[FEATURES].astype("float64").fillna(0.0).to_numpy(float)
    return model["calibrated"].predict_proba(X)[:, 1]


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
    if row is None or not row.in_use or not row.path or list(row.features) != FEATURES:
        return STANDARD
    try:
        model = store.load(row)
    except (OSError, ValueError, EOFError):
        # The file is gone or unreadable: score with the standard model
        # rather than not at all, and say so where the operator looks.
        log.warning("fitted model %s could not be read; the scan uses the standard model", row.version)
        return STANDARD
    return DropoutModel(version=row.version, model=model, row=row, prefix="f_")
