"""Reasons in words for fitted scores, and the model card in plain words.

Reasons: for the logistic, each feature's coefficient times its
standardised value; a boosted model borrows the default model's signal
parts. Either way the positive parts map to the phrases
default_model.reasons already uses.
"""

from datetime import timezone

import numpy as np

from stillhere.risk import default_model

from .rows import SIGNAL_COLUMNS


def parts(model: dict, X: np.ndarray, features: list[str]) -> np.ndarray:
    """Per-row contributions, one column per feature."""
    base = model["base"]
    if hasattr(base, "named_steps"):
        scaler, lr = base.named_steps["standardscaler"], base.named_steps["logisticregression"]
        return scaler.transform(X) * lr.coef_[0]
    return np.where(np.isin(features, SIGNAL_COLUMNS), X, 0.0)


def reasons(row: dict, contrib: dict, tz=timezone.utc, limit: int = 3) -> list[str]:
    """Phrases for the signals with the largest positive contribution."""
    keys = [k for k in default_model.SIGNALS if contrib.get(f"c_{k}", 0) > 0 and row.get(f"c_{k}", 0) > 0]
    keys.sort(key=lambda k: -contrib[f"c_{k}"])
    return [default_model._words(k, row, tz) for k in keys[:limit]]


def _pct(x):
    return "not known" if x is None or x != x else f"{x:.2f}"


def card_text(row) -> str:
    if row is None:
        return "No fitted model yet: the scan uses the standard model."
    lines = [f"Model {row.version} ({row.kind}), fitted {row.fitted_at:%d %b %Y}."]
    if row.window_start:
        lines.append(f"Learned from {row.window_start:%d %b %Y} to {row.window_end:%d %b %Y}.")
    lines.append(f"Dropouts in the held-out weeks: {row.events}.")
    m = row.metrics
    for name, label in (("fitted", "This practice's model"), ("default", "Standard model")):
        if name in m:
            lo, hi = m[name]["auc_ci"]
            lines.append(f"{label}: ranking (AUC) {_pct(m[name]['auc'])} (95% range {_pct(lo)} to {_pct(hi)}), "
                         f"Brier {_pct(m[name]['brier'])}, calibration error {_pct(m[name]['ece'])}.")
    lines.append(row.why)
    return "\n".join(lines)
