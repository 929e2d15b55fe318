"""Benchmark: the director's practice page, kept per period, computed afresh,
and computed afresh with the survival curve fitted the way it was before
issue 18 (every episode's row fetched, then lifelines; the dropout and
no-show figures' queries are today's in all three), interleaved in one
process.

By default on the demo practice (6 clinicians, 300 clients, two years, built
with `stillhere demo --no-serve` in a scratch folder); with `--bench-inbox`,
on bench/inbox.py's 50-clinician practice in PostgreSQL (14,500 clients,
203k appointments; run bench/inbox.py --setup-only first). Signs in as a
director and requests the page for the last year (the default period) N
times each way. Prints the median time of a whole request.

    .venv/bin/python bench/practice_page.py [--runs 7] [--bench-inbox]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time


def before_survival(practice, start, end):
    """The survival curve as the page computed it before: every episode's
    row fetched, then lifelines' KaplanMeierFitter (pandas, SciPy)."""
    import numpy as np
    from django.db.models import Max, Q
    from lifelines import KaplanMeierFitter

    from stillhere.analytics.report import MAX_SESSIONS, Survival
    from stillhere.clients.models import Appointment, Episode

    rows = list(Episode.objects.filter(practice=practice, started__gte=start, started__lte=end)
                .annotate(n=Max("appointments__session_number",
                                filter=Q(appointments__status=Appointment.Status.ATTENDED)))
                .values_list("n", "end_reason"))
    if len(rows) < 5:
        return None
    durations = np.array([n or 0 for n, _ in rows], dtype=float)
    events = np.array([r == Episode.EndReason.NO_GOODBYE for _, r in rows])
    km = KaplanMeierFitter().fit(durations, events, label="engaged")
    grid = list(range(0, MAX_SESSIONS + 1))
    surv = km.survival_function_at_times(grid).to_numpy()
    ci = km.confidence_interval_survival_function_
    lo = np.interp(grid, ci.index.to_numpy(), ci.iloc[:, 0].to_numpy())
    hi = np.interp(grid, ci.index.to_numpy(), ci.iloc[:, 1].to_numpy())
    median = km.median_survival_time_
    return Survival(grid, [float(x) for x in surv], [float(x) for x in lo], [float(x) for x in hi],
                    [int((durations >= s).sum()) for s in grid], len(rows), int(events.sum()),
                    None if median == float("inf") else float(median))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--bench-inbox", action="store_true", help="bench/inbox.py's 50-clinician practice")
    args = parser.parse_args()
    if args.bench_inbox:
        url = os.getenv("BENCH_INBOX_URL", "postgres://postgres@127.0.0.1:5432/stillhere_bench_inbox")
        os.environ.update(DATABASE_URL=url, DJANGO_SETTINGS_MODULE="stillhere.settings")
        director = {"username": "bench-director-1"}
    else:
        data = tempfile.mkdtemp(prefix="bench-practice-")
        env = dict(os.environ, STILLHERE_DATA_DIR=data)
        env.pop("DATABASE_URL", None)
        subprocess.run([sys.executable, "-m", "stillhere.cli", "demo", "--no-serve"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        os.environ.update(STILLHERE_DATA_DIR=data, DATABASE_URL=f"sqlite:///{data}/demo.sqlite3",
                          DJANGO_SETTINGS_MODULE="stillhere.settings")
        director = {"email": "director@practice.example"}
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.test.utils import setup_test_environment

    from stillhere.analytics import report
    from stillhere.analytics.cache import report_cache
    from stillhere.security.testing import force_login_verified

    setup_test_environment()
    browser = Client()
    user = get_user_model().objects.get(**director)
    browser.force_login(user)
    force_login_verified(browser, user)

    now_survival = report._survival
    ways = {
        "kept per period (now)": (False, now_survival),
        "computed afresh (now)": (True, now_survival),
        "afresh, lifelines survival (before)": (True, before_survival),
    }
    times = {name: [] for name in ways}
    for fresh, survival in ways.values():  # warm imports and caches
        report._survival = survival
        report_cache.clear()
        assert browser.get("/practice/").status_code == 200
    for _ in range(args.runs):
        for name, (fresh, survival) in ways.items():
            report._survival = survival
            if fresh:
                report_cache.clear()
            t0 = time.perf_counter()
            assert browser.get("/practice/").status_code == 200
            times[name].append(time.perf_counter() - t0)
    report._survival = now_survival
    base = statistics.median(times["afresh, lifelines survival (before)"])
    where = "bench/inbox.py's practice (PostgreSQL)" if args.bench_inbox else "the demo practice (SQLite)"
    print(f"practice page, the last year of {where}, whole request:")
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f"  {name:<34} median {med * 1000:7.0f} ms   {base / med:5.1f}x as fast as before")
    print(f"({args.runs} requests each, interleaved; load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
