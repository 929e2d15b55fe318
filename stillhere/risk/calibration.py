"""Fit the no-show score to the practice's own history, and keep the default
until the fit has earned its place.

What is fitted, and why only that: the base rate (practices differ from
about 5% to over 30% no-shows), the lead-time steps (same-day against
weeks ahead is the biggest and most practice-specific effect, and it is not
a straight line), and one factor for how much the other signals count. Nine
numbers, pulled gently towards the default, so a practice with a few
hundred appointments gets a stable answer. The full fitted dropout model is
another matter (risk/fitted/).

How it is judged: every past appointment that was attended or missed is
scored as of the moment it was booked (the facts known then), and the
appointments are split by date: the fit sees the older ones, and the newest
quarter is held out. The fitted weights are used only if their log loss on
the held-out appointments is lower than the default's; then they are fitted
again on all of it. Every try is stored with its verdict in words.

Minimums (below them the default stays, and the verdict says so):
MIN_APPOINTMENTS attended-or-missed appointments with MIN_NOSHOWS no-shows,
and a held-out quarter of at least MIN_HELD_OUT appointments with
MIN_HELD_OUT_NOSHOWS no-shows.
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd

from . import noshow
from .noshow import DEFAULT, LEAD_STEPS, Weights
from .ranking import auc

MIN_APPOINTMENTS = 300
MIN_NOSHOWS = 30
MIN_HELD_OUT = 100
MIN_HELD_OUT_NOSHOWS = 10
HELD_OUT_SHARE = 0.25
REFIT_AFTER = timedelta(days=7)
PULL = 2.0   # how many appointments' worth the default counts for, per weight
STEP_KEYS = [k for _, k in LEAD_STEPS]


def history_moments(src, as_of_s: int, at: str = "booking", utc_offset_s: int = 0):
    """Every appointment attended or missed before `as_of_s`, as a moment to
    score: as of its booking, or (at="morning") as of 07:00 local the day
    before it, or its booking if that came later."""
    import ibis

    from stillhere.features.sources import DAY

    a = src.appointments
    T = ibis.literal(int(as_of_s), "int64")
    done = a.filter(a.status.isin(("attended", "no_show")) & (a.start_s < T))
    booked = ibis.least(done.booked_s.fill_null(done.start_s - 7 * DAY), done.start_s)
    if at == "morning":
        local_day = ((done.start_s + utc_offset_s) / DAY).floor().cast("int64")
        morning = (local_day - 1) * DAY + 7 * 3600 - utc_offset_s
        as_of = ibis.greatest(booked, morning)
    else:
        as_of = booked
    return done.select("appointment_id", "episode_id", "start_s", booked_s=booked, as_of_s=as_of,
                       y=(done.status == "no_show").cast("int32"))


def scored_history(src, as_of_s: int, at: str = "booking", utc_offset_s: int = 0,
                   weights: Weights = DEFAULT, signals=()) -> pd.DataFrame:
    """`signals`: the practice's imported signals (s_<name> columns) for the fit to weigh."""
    moments = history_moments(src, as_of_s, at, utc_offset_s)
    signals = sorted(set(signals))
    s = noshow.scores(src, moments.drop("y"), weights, utc_offset_s, signals)
    y = moments.select(k="appointment_id", y="y")
    s = s.inner_join(y, s.appointment_id == y.k).select(*noshow.COLUMNS, "y", "booked_s",
                                                        *(f"s_{n}" for n in signals))
    out = noshow.frame(s)
    out.attrs["signals"] = signals
    return out


def signal_names(practice) -> list[str]:
    """The signals the practice's imports have brought in (mapping files' [appointments.signals])."""
    from stillhere.ingest.models import AppointmentSignal

    return sorted(AppointmentSignal.objects.filter(practice=practice).values_list("name", flat=True).distinct())


def _signals_of(frame: pd.DataFrame) -> list[str]:
    return sorted(c[2:] for c in frame.columns if c.startswith("s_"))


@dataclass
class Fit:
    weights: Weights
    in_use: bool
    verdict: str
    n_fit: int = 0
    n_held_out: int = 0
    split_at: datetime | None = None
    held_out: dict | None = None
    observed_rate: float | None = None


def _design(frame: pd.DataFrame, signals=()) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One-hot lead step per appointment, the default's other signals, and
    the practice's own imported signals (0 where an appointment has none)."""
    # noshow.lead_step for every row at once: the last step whose lower bound the lead reaches.
    lows = np.array([lo for lo, _ in noshow.LEAD_STEPS])
    days = frame["lead_days"].to_numpy().astype(np.int64)
    step = np.clip(np.searchsorted(lows, days, side="right") - 1, 0, None)
    X = np.zeros((len(frame), len(STEP_KEYS)))
    X[np.arange(len(frame)), step] = 1.0
    S = np.column_stack([frame[f"s_{n}"].astype("float64").fillna(0.0).to_numpy() for n in signals]) \
        if signals else np.zeros((len(frame), 0))
    return X, frame["n_rest"].to_numpy(dtype=float) / DEFAULT.rest, S


def _theta0() -> np.ndarray:
    return np.array([DEFAULT.base + DEFAULT.lead[k] for k in STEP_KEYS] + [DEFAULT.rest])


def fit_weights(frame: pd.DataFrame) -> Weights:
    """Lead steps (with the base rate in them) and the rest factor, by
    penalised maximum likelihood pulled towards the default."""
    signals = _signals_of(frame)
    X, rest, S = _design(frame, signals)
    # An imported signal's weight starts at 0 (no effect) and is pulled
    # towards it, as the rest are towards the default. Its column is
    # centred and scaled for the fit, so "towards 0" means the same for a
    # yes/no and a count of reminders.
    mu, sd = S.mean(axis=0), S.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    Z = (S - mu) / sd
    y = frame["y"].to_numpy(dtype=float)
    t0 = np.concatenate([_theta0(), np.zeros(len(signals))])
    nl = len(STEP_KEYS)

    def loss(t):
        z = X @ t[:nl] + t[nl] * rest + Z @ t[nl + 1:]
        p = 1.0 / (1.0 + np.exp(-z))
        nll = np.sum(np.logaddexp(0, z) - y * z)
        grad = np.concatenate([X.T @ (p - y), [np.sum((p - y) * rest)], Z.T @ (p - y)])
        d = t - t0
        return nll + PULL * d @ d, grad + 2 * PULL * d

    from scipy.optimize import minimize   # here: SciPy costs a second to import, and most scans never fit

    t = minimize(loss, t0, jac=True, method="L-BFGS-B").x
    # Back to raw units: w * (s - mu) / sd = (w / sd) * s - (w * mu / sd), the second into the steps.
    w = t[nl + 1:] / sd
    shift = float(np.sum(w * mu))
    steps = t[:nl] - shift
    base = float(steps[STEP_KEYS.index("days_4_7")])
    return Weights(base=base, lead={k: float(steps[i]) - base for i, k in enumerate(STEP_KEYS)}, rest=float(t[nl]),
                   version=f"{noshow.MODEL_VERSION}-fitted", extra={n: float(x) for n, x in zip(signals, w)})


def predict(frame: pd.DataFrame, w: Weights) -> np.ndarray:
    signals = sorted(w.extra)
    X, rest, S = _design(frame, signals)
    z = X @ np.array([w.base + w.lead[k] for k in STEP_KEYS]) + w.rest * rest + S @ np.array(
        [w.extra[n] for n in signals], dtype=float).reshape(len(signals))
    return 1.0 / (1.0 + np.exp(-z))


def judge(frame: pd.DataFrame) -> Fit:
    """Split by date, fit on the older part, compare on the newest."""
    n, k = len(frame), int(frame["y"].sum()) if len(frame) else 0
    if n < MIN_APPOINTMENTS or k < MIN_NOSHOWS:
        return Fit(DEFAULT, False, f"Using the default: the practice's history has {n} attended or missed "
                   f"appointments with {k} no-shows; a fit needs {MIN_APPOINTMENTS} with {MIN_NOSHOWS}.",
                   observed_rate=(k / n) if n else None)
    frame = frame.sort_values("start_s", kind="stable")
    split_s = int(frame["start_s"].quantile(1 - HELD_OUT_SHARE))
    old, new = frame[frame.start_s < split_s], frame[frame.start_s >= split_s]
    split_at = datetime.fromtimestamp(split_s, timezone.utc)
    if len(new) < MIN_HELD_OUT or new["y"].sum() < MIN_HELD_OUT_NOSHOWS or len(old) < MIN_HELD_OUT:
        return Fit(DEFAULT, False, f"Using the default: the newest appointments (from {split_at:%d %b %Y}) "
                   f"are too few to judge a fit on ({len(new)}, {int(new['y'].sum())} no-shows; "
                   f"needs {MIN_HELD_OUT} with {MIN_HELD_OUT_NOSHOWS}).", observed_rate=k / n)
    fitted = fit_weights(old)
    y = new["y"].to_numpy()
    p_default, p_fit = predict(new, DEFAULT), predict(new, fitted)
    held = {"default": _measures(y, p_default), "fitted": _measures(y, p_fit), "observed_rate": float(y.mean())}
    better = held["fitted"]["log_loss"] < held["default"]["log_loss"]
    fit = Fit(DEFAULT, False, "", n_fit=len(old), n_held_out=len(new), split_at=split_at, held_out=held,
              observed_rate=k / n)
    if better:
        fit.weights, fit.in_use = fit_weights(frame), True
        fit.verdict = (f"Fitted to this practice: on the {len(new)} newest appointments it was not fitted on, "
                       f"it predicted {held['fitted']['mean']:.0%} no-shows where {y.mean():.0%} happened "
                       f"(the default: {held['default']['mean']:.0%}).")
    else:
        fit.verdict = (f"Using the default: the fit did no better on the {len(new)} newest appointments "
                       f"it was not fitted on.")
    return fit


def _measures(y, p) -> dict:
    """Log loss, Brier score and AUC of the held-out part, in NumPy: the
    same figures as scikit-learn's metrics, without importing scikit-learn
    (3-4 s of every import's refit, which needs nothing else of it)."""
    y = np.asarray(y, dtype=float)
    p = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    log_loss = -np.mean(y * np.log(p) + (1 - y) * np.log1p(-p))
    positives = int(y.sum())
    return {"log_loss": float(log_loss), "brier": float(np.mean((y - p) ** 2)),
            "auc": auc(y, p) if 0 < positives < len(y) else None, "mean": float(p.mean())}


# --- the practice's stored choice -------------------------------------------

def weights_for(practice) -> Weights:
    """The weights in use for this practice: its latest fit that beat the
    default, if the latest try did; else the default."""
    from .models import NoShowCalibration

    use_age = bool(getattr(practice, "age_in_noshow_risk", False))
    last = NoShowCalibration.objects.filter(practice=practice).order_by("-fitted_at", "-id").first()
    if last is None or not last.in_use:
        return replace(DEFAULT, use_age=use_age)
    w = last.weights
    return Weights(base=w["base"], lead=dict(w["lead"]), rest=w["rest"], version=w.get("version", "fitted"),
                   use_age=use_age, extra=dict(w.get("extra") or {}))


def refit(practice, now: datetime, src=None):
    """Fit and judge on everything before `now`; store the try. `src`: the
    practice's portable sources (noshow.portable), when the caller has them."""
    from stillhere.features.sources import from_django

    from .models import NoShowCalibration

    offset = int(now.astimezone(practice.tz).utcoffset().total_seconds())
    if src is None:
        src = noshow.portable(from_django(practice.id))
    frame = scored_history(src, int(now.timestamp()), "booking", offset,
                           replace(DEFAULT, use_age=practice.age_in_noshow_risk), signal_names(practice))
    fit = judge(frame)
    w = fit.weights
    return NoShowCalibration.objects.create(
        practice=practice, fitted_at=now, in_use=fit.in_use, verdict=fit.verdict[:300],
        weights={"base": w.base, "lead": w.lead, "rest": w.rest, "version": w.version, "extra": w.extra},
        n_fit=fit.n_fit, n_held_out=fit.n_held_out, split_at=fit.split_at, held_out=fit.held_out or {},
        observed_rate=fit.observed_rate)


def refit_if_due(practice, now: datetime, src=None):
    """Refit once a week, or at once while the last try found too little
    history to judge: called by the morning scan and after an import, so a
    practice's own rate takes over as soon as its history is long enough."""
    from .models import NoShowCalibration

    last = NoShowCalibration.objects.filter(practice=practice).order_by("-fitted_at").first()
    if last is not None and last.n_held_out and now - last.fitted_at < REFIT_AFTER:
        return None
    return refit(practice, now, src)


__all__ = ["judge", "fit_weights", "predict", "scored_history", "history_moments", "weights_for", "refit",
           "refit_if_due", "MIN_APPOINTMENTS", "MIN_NOSHOWS", "MIN_HELD_OUT", "MIN_HELD_OUT_NOSHOWS"]
