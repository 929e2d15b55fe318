"""How good is the no-show score? Each appointment scored as of its booking
and as of the morning before it, beside a gradient-boosting baseline.

Two histories:
- the simulator's therapy practice (stillhere/simulator), about 6% no-shows;
- a generated clinic history in the shape of a busy outpatient clinic
  (bench/clinic_history.py): many clients seen once or twice, a third of
  bookings made the same day, 20–30% no-shows, ages, text reminders sent two
  days ahead for some bookings.

For each: every attended or missed appointment is scored by the production
expression (risk/noshow.py in DuckDB) with the facts known at the moment,
and the appointments are split by date (calibration.py: the newest quarter
held out). On the held-out appointments:
- the default weights, as shipped;
- the practice calibration (base rate, lead-time steps, how much the rest
  counts) fitted on the older appointments only;
- scikit-learn's HistGradientBoostingClassifier fitted on the same older
  appointments, from the same raw facts (lead days, weekday, hour, age, the
  client's past attended and missed counts, last missed, reminders sent).
AUC, Brier score, calibration error (equal-count tenths), the mean
prediction against the observed rate, and a calibration table.

    .venv/bin/python bench/noshow_quality.py [--clients 4000] [--patients 30000] [--seed 5]
    .venv/bin/python bench/noshow_quality.py --practice SLUG   # a history imported into the database

With --practice, the same evaluation runs on a practice's own imported
history (for example a public appointment export brought in through the CSV
path with a mapping file), in its own time zone, and nothing else.
"""

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import brier_score_loss, roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parent))

from clinic_history import clinic_sources  # noqa: E402

from stillhere.features.sources import DAY, from_parquet  # noqa: E402
from stillhere.risk import calibration  # noqa: E402
from stillhere.risk.noshow import DEFAULT  # noqa: E402
from stillhere.simulator.generate import simulate  # noqa: E402
from stillhere.simulator.params import SimParams  # noqa: E402
from stillhere.simulator.write import write_practice  # noqa: E402

AS_OF = date(2026, 11, 1)
GBM_FEATURES = ["lead_days", "weekday", "hour", "age", "n_events", "n_missed", "n_attended", "missed_last",
                "n_reminders"]


def ece(p, y, bins=10):
    order = np.argsort(p)
    return sum(len(c) * abs(p[c].mean() - y[c].mean()) for c in np.array_split(order, bins) if len(c)) / len(p)


def table(p, y, bins=10):
    order = np.argsort(p)
    rows = []
    for c in np.array_split(order, bins):
        rows.append((len(c), p[c].mean(), y[c].mean()))
    return rows


def raw_features(frame: pd.DataFrame, offset: int) -> pd.DataFrame:
    local = frame.start_s + offset
    day = local // DAY
    out = pd.DataFrame({
        "lead_days": frame.lead_days, "weekday": (day + 3) % 7, "hour": (local - day * DAY) // 3600,
        "age": frame.age.fillna(-1.0), "n_events": frame.n_events, "n_missed": frame.n_missed, "n_attended": frame.n_attended,
        "missed_last": (frame.n_missed_last > 0).astype(int), "n_reminders": frame.n_reminders})
    for c in frame.columns:
        if c.startswith("s_"):
            out[c] = frame[c].astype("float64").fillna(0.0)
    return out


def evaluate(name, src, as_of_s, offset, at, signals=()):
    """`signals`: the practice's own imported signals (mapping files'
    [appointments.signals]); the fit and the boosting baseline both read them."""
    t0 = time.perf_counter()
    frame = calibration.scored_history(src, as_of_s, at, offset, signals=signals)
    secs = time.perf_counter() - t0
    if "birth_s" in src.clients.columns:
        births = src.clients.select("client_id", "birth_s").to_pyarrow().to_pandas().set_index("client_id").birth_s
        eps = src.episodes.select("episode_id", "client_id").to_pyarrow().to_pandas().set_index("episode_id").client_id
        frame["age"] = (frame.start_s - births.reindex(eps.reindex(frame.episode_id).values).values) / (365.25 * DAY)
    else:
        frame["age"] = -1.0   # the simulator keeps no birth dates
    frame = frame.sort_values("start_s", kind="stable").reset_index(drop=True)
    split_s = int(frame.start_s.quantile(1 - calibration.HELD_OUT_SHARE))
    old, new = frame[frame.start_s < split_s], frame[frame.start_s >= split_s]
    y = new.y.to_numpy()
    fitted = calibration.fit_weights(old)
    gbm = HistGradientBoostingClassifier(max_iter=300, learning_rate=0.05, random_state=0)
    cols = GBM_FEATURES + [f"s_{n}" for n in signals]
    gbm.fit(raw_features(old, offset)[cols], old.y)
    preds = {
        "default weights": calibration.predict(new, DEFAULT),
        "calibrated to the practice": calibration.predict(new, fitted),
        "gradient boosting (sklearn)": gbm.predict_proba(raw_features(new, offset)[cols])[:, 1],
    }
    label = {"booking": "as of its booking", "morning": "as of 07:00 the day before (or its booking, if later)"}[at]
    print(f"\n{name}: each appointment scored {label}")
    if signals:
        print(f"  the practice's own signals: {', '.join(signals)}; fitted weights "
              + ", ".join(f"{k} {v:+.2f}" for k, v in fitted.extra.items()))
    print(f"  {len(frame):,} appointments scored in {secs:.1f} s; fitted on the {len(old):,} before "
          f"{pd.Timestamp(split_s, unit='s'):%Y-%m-%d}, judged on the {len(new):,} after "
          f"({y.mean():.1%} no-shows there, {old.y.mean():.1%} before)")
    print(f"  {'':30} {'AUC':>6} {'Brier':>7} {'cal.err':>7} {'mean':>6} {'observed':>8}")
    for k, p in preds.items():
        print(f"  {k:30} {roc_auc_score(y, p):6.3f} {brier_score_loss(y, p):7.4f} {ece(p, y):7.3f} "
              f"{p.mean():6.3f} {y.mean():8.3f}")
    print(f"  constant at the observed rate  {'0.500':>6} {brier_score_loss(y, np.full(len(y), y.mean())):7.4f}")
    p = preds["calibrated to the practice"]
    print("  calibration table, calibrated model (tenths by predicted risk):")
    print("    " + "  ".join(f"{m:.2f}/{o:.2f}" for _, m, o in table(p, y)) + "   (predicted/observed)")
    return {k: (roc_auc_score(y, p), abs(p.mean() - y.mean())) for k, p in preds.items()}


def imported(slug: str) -> None:
    """The evaluation on a practice's own imported history, read from the database."""
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stillhere.settings")
    django.setup()
    from django.utils import timezone

    from stillhere.accounts.models import Practice
    from stillhere.clients.models import Appointment
    from stillhere.features.sources import from_django
    from stillhere.risk import noshow

    practice = Practice.objects.get(slug=slug)
    last = Appointment.objects.filter(practice=practice).order_by("-start").values_list("start", flat=True).first()
    if last is None:
        raise SystemExit(f"{practice.name} has no appointments to judge the score on.")
    as_of = last + pd.Timedelta(days=1)
    offset = int(as_of.astimezone(practice.tz).utcoffset().total_seconds())
    from stillhere.risk.calibration import signal_names

    src = noshow.portable(from_django(practice.pk))   # as the practice's own calibration reads it
    signals = signal_names(practice)
    for at in ("booking", "morning"):
        evaluate(f"{practice.name} (imported, {timezone.localtime(as_of, practice.tz):%d %b %Y})", src,
                 int(as_of.timestamp()), offset, at, signals)
    import os as _os
    print(f"load average {' '.join(f'{x:.2f}' for x in _os.getloadavg())}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=4000, help="simulated therapy clients")
    ap.add_argument("--patients", type=int, default=30000, help="clinic patients in the generated history")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--practice", help="evaluate on this practice's imported history instead")
    args = ap.parse_args()
    t0 = time.perf_counter()
    print("machine: 2 cores shared with other helpers' work; times are indicative only")
    if args.practice:
        return imported(args.practice)

    if args.clients:
        sim = simulate(args.clients, seed=args.seed, as_of=AS_OF, params=SimParams(years=3))
        with tempfile.TemporaryDirectory() as tmp:
            write_practice(sim, Path(tmp), csv=False)
            src = from_parquet(Path(tmp))
            T = int(pd.Timestamp(AS_OF, tz="UTC").timestamp())
            for at in ("booking", "morning"):
                evaluate(f"Simulated therapy practice ({args.clients:,} clients, seed {args.seed})", src, T, 0, at)

    src, T, offset = clinic_sources(args.patients, seed=args.seed)
    results = {}
    for at in ("booking", "morning"):
        results[at] = evaluate(f"Generated clinic history ({args.patients:,} patients, seed {args.seed})",
                               src, T, offset, at)
    auc, gap = results["booking"]["calibrated to the practice"]
    print(f"\nclinic, as of booking: calibrated AUC {auc:.3f}, mean prediction {gap:.3f} from the observed rate "
          f"(target within 0.02); gradient boosting AUC {results['booking']['gradient boosting (sklearn)'][0]:.3f}")
    print(f"took {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
