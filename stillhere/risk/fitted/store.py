"""Store and load a fitted model: a FittedModel row and a 0600 joblib file."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import TYPE_CHECKING

import joblib

from django.conf import settings

if TYPE_CHECKING:
    # Only a name here: importing fit.py pulls in scikit-learn and SciPy, about
    # 2 s that every scan paid to look up a model it usually does not have.
    from .fit import Fitted


def _dir():
    d = settings.DATA_DIR / "models"
    d.mkdir(parents=True, exist_ok=True, mode=0o700)
    return d


def _dt(s):
    return datetime.fromtimestamp(s, timezone.utc) if s is not None else None


def clean(v):
    """JSON that PostgreSQL's jsonb takes: NaN (an AUC with one class) becomes null."""
    if isinstance(v, dict):
        return {k: clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [clean(x) for x in v]
    if isinstance(v, float) and v != v:
        return None
    if hasattr(v, "item"):  # numpy scalars
        return clean(v.item())
    return v


def save(practice, fitted: Fitted):
    from stillhere.risk.models import FittedModel

    n = FittedModel.objects.filter(practice=practice).count() + 1
    version = f"fitted-{practice.pk}-{n}"
    path = ""
    if fitted.model is not None:
        p = _dir() / f"{version}.joblib"
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            joblib.dump(fitted.model, fh)
        os.chmod(p, 0o600)
        path = str(p)
    return FittedModel.objects.create(
        practice=practice, version=version, kind=fitted.kind, window_start=_dt(fitted.window[0]),
        window_end=_dt(fitted.window[1]), features=fitted.features, metrics=clean(fitted.metrics),
        events=fitted.events, in_use=fitted.in_use, why=fitted.why, path=path)


def latest(practice):
    from stillhere.risk.models import FittedModel

    return FittedModel.objects.filter(practice=practice).order_by("-fitted_at", "-pk").first()


def load(row):
    return joblib.load(row.path) if row and row.path else None


def fit_practice(practice, as_of_s: int, step_days: int | None = None):
    """Training rows as of past moments before `as_of_s`, the fit and its
    gate, the fairness report by age band and by any group the practice
    imported; stored. Returns (row, n rows)."""
    from stillhere.features.sources import from_django

    from . import fit, rows

    src = from_django(practice.pk)
    data = rows.training_rows(src, as_of_s, silence_days=practice.long_silence_days,
                              **({"step_days": step_days} if step_days else {}))
    data = rows.with_report_groups(practice.pk, src, rows.with_age_bands(src, data))
    return save(practice, fit.fit(data)), len(data)
