"""Benchmark: episodes read from the history, on a simulated practice whose
export has no episode ids.

    .venv/bin/python bench/long_silence.py [--clients 5000] [--days 120]

The simulator's appointments.csv is imported twice into a fresh SQLite
database, in one process: once as written (with its episode_id column), and
once with that column removed, so the writer must infer the returns
(stillhere/ingest/silence.py). Printed: both import times (the difference is
the inference's cost), and, against the simulator's own episodes (its truth),
how many returns to the same clinician the inference found, how many splits
it made that the simulator did not, and how the earlier episode's ending was
recorded beside how it truly ended.
"""

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def simulate(out: Path, clients: int) -> None:
    if (out / "appointments.csv").exists():
        return
    subprocess.run([sys.executable, "-m", "stillhere.cli", "simulate", "--clients", str(clients), "--seed", "7",
                    "--years", "4", "--as-of", "2026-06-01", "--out", str(out)], check=True,
                   env={**os.environ, "DATABASE_URL": "sqlite://:memory:"}, stdout=subprocess.DEVNULL)


def without_ids(src: Path, dst: Path) -> None:
    with open(src, newline="") as f, open(dst, "w", newline="") as g:
        r = csv.DictReader(f)
        cols = [c for c in r.fieldnames if c != "episode_id"]
        w = csv.DictWriter(g, cols, extrasaction="ignore")
        w.writeheader()
        w.writerows(r)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=5000)
    ap.add_argument("--days", type=int, default=120, help="the practice's long-silence days")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-silence-"))
    try:
        measure(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def measure(args, work: Path) -> None:
    sim = work / "sim"
    simulate(sim, args.clients)
    bare = work / "appointments.csv"
    without_ids(sim / "appointments.csv", bare)

    os.environ["DATABASE_URL"] = f"sqlite:///{work / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stillhere.settings")
    import django

    django.setup()
    import pandas as pd
    from django.core.management import call_command

    from stillhere.accounts.models import Practice
    from stillhere.clients.models import Appointment
    from stillhere.ingest.service import run_import
    from stillhere.ingest.sources import CsvSource

    from stillhere.ingest import writer as writer_module

    spent = [0.0]
    infer = writer_module.infer_returns

    def timed(*a, **k):   # the inference's own share of each import
        t = time.perf_counter()
        try:
            return infer(*a, **k)
        finally:
            spent[0] += time.perf_counter() - t

    writer_module.infer_returns = timed
    call_command("migrate", verbosity=0)
    timings = {}
    for slug, path in (("with-ids", sim / "appointments.csv"), ("no-ids", bare)):
        p = Practice.objects.create(name=slug, slug=slug, timezone="Europe/London", long_silence_days=args.days)
        t, spent[0] = time.perf_counter(), 0.0
        report = run_import(p, CsvSource(path))
        timings[slug] = (time.perf_counter() - t, report, spent[0])
        assert report.status == "imported", report.lines()[:5]

    # The truth: each appointment's true episode; the inference: its episode here.
    appts = pd.read_csv(sim / "appointments.csv", usecols=["appointment_id", "client_id", "clinician", "start",
                                                           "episode_id"])
    appts["appointment_id"] = appts["appointment_id"].astype(str)
    got = pd.DataFrame(Appointment.objects.filter(practice__slug="no-ids")
                       .values_list("external_id", "episode_id", "episode__end_reason"),
                       columns=["appointment_id", "inferred", "end_reason"])
    df = appts.merge(got, on="appointment_id").sort_values(["client_id", "clinician", "start", "appointment_id"])
    same = (df.client_id == df.client_id.shift()) & (df.clinician == df.clinician.shift())
    true_cut = same & (df.episode_id != df.episode_id.shift())
    our_cut = same & (df.inferred != df.inferred.shift())
    truth = pd.read_parquet(sim / "truth_episodes.parquet")[["episode_id", "outcome"]]
    outcome = dict(zip(truth.episode_id, truth.outcome))
    prev_true = df.episode_id.shift()
    prev_reason = df.end_reason.shift()
    found = true_cut & our_cut
    mix = Counter((outcome.get(int(e), "?"), r or "open")
                  for e, r in zip(prev_true[found], prev_reason[found]))

    ids_s, ids_r, ids_inf = timings["with-ids"]
    none_s, none_r, none_inf = timings["no-ids"]
    n = ids_r.counts["appointments"]["created"]
    print(f"simulated practice: {args.clients:,} clients, {n:,} appointments, long-silence days {args.days}")
    print(f"import with episode ids      {ids_s:.1f} s, {ids_r.counts['episodes']['created']:,} episodes "
          f"(looking for silences: {ids_inf:.2f} s)")
    print(f"import without episode ids   {none_s:.1f} s, {none_r.counts['episodes']['created']:,} episodes, "
          f"{none_r.returns_inferred:,} returns inferred (looking for silences and splitting: {none_inf:.2f} s, "
          f"{none_inf / none_s:.0%} of the import)")
    print(f"true returns to the same clinician: {int(true_cut.sum()):,}; found {int(found.sum()):,} "
          f"({found.sum() / max(1, true_cut.sum()):.0%}); splits the simulator did not make "
          f"{int((our_cut & ~true_cut).sum()):,}")
    missed = true_cut & ~our_cut
    starts = pd.to_datetime(df.start, utc=True)
    gap = (starts - starts.shift()).dt.days
    prev_status = pd.read_csv(sim / "appointments.csv", usecols=["appointment_id", "status"]).astype(
        {"appointment_id": str}).set_index("appointment_id").status
    before = df.appointment_id.shift().map(prev_status)
    print(f"missed: {int((missed & (gap < args.days)).sum()):,} came back sooner than {args.days} days after the "
          f"last appointment, {int((missed & (gap >= args.days) & (before != 'attended')).sum()):,} after an "
          f"appointment not attended (a no-show, a cancellation), "
          f"{int((missed & (gap >= args.days) & (before == 'attended')).sum()):,} other (booked within the gap)")
    print("earlier episode, truly ended -> recorded as:")
    for (true, ours), k in sorted(mix.items(), key=lambda kv: -kv[1]):
        print(f"  {true:<12} -> {ours:<12} {k:,}")


if __name__ == "__main__":
    main()
