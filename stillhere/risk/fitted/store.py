"""Store and load a fitted model: a FittedModel row and a 0600 joblib file."""

import os
from datetime import datetime, timezone

import joblib
from django.conf import settings

from .fit import Fitted


def _dir():
    d = settings.DATA_DIR / "models"
    d.mkdir(parents=True, exist_ok=True, mode=0o700)
    return d


def _dt(s):
    return datetime.fromtimestamp(s, timezone.utc) if s is not None else None


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
        window_end=_dt(fitted.window[1]), features=fitted.features, metrics=fitted.metrics,
        events=fitted.events, in_use=fitted.in_use, why=fitted.why, path=path)


def latest(practice):
    from stillhere.risk.models import FittedModel

    return FittedModel.objects.filter(practice=practice).order_by("-fitted_at", "-pk").first()


def load(row):
    return joblib.load(row.path) if row and row.path else None
