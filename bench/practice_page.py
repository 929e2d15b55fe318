"""Benchmark: the director's practice page, beside the same page computing
each rate's interval with SciPy's binomtest (the code before this round).

Builds the demo practice (6 clinicians, 300 clients, two years) with
`stillhere demo --no-serve` in a scratch folder, signs in as the director and
requests the page for the last two years N times with each interval method,
interleaved in this one process. Prints the median time of a whole request.

    .venv/bin/python bench/practice_page.py [--runs 7]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    data = tempfile.mkdtemp(prefix="bench-practice-")
    env = dict(os.environ, STILLHERE_DATA_DIR=data)
    env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "stillhere.cli", "demo", "--no-serve"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    os.environ.update(STILLHERE_DATA_DIR=data, DATABASE_URL=f"sqlite:///{data}/demo.sqlite3",
                      DJANGO_SETTINGS_MODULE="stillhere.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.test.utils import setup_test_environment
    from scipy.stats import binomtest

    from stillhere.analytics import report

    setup_test_environment()
    browser = Client()
    browser.force_login(get_user_model().objects.get(email="director@practice.example"))

    def scipy_ci(self):
        if not self.total:
            return None
        ci = binomtest(self.events, self.total).proportion_ci(0.95, method="wilson")
        return ci.low, ci.high

    methods = {"closed form (now)": report.Rate.ci, "SciPy per rate (before)": property(scipy_ci)}
    times = {name: [] for name in methods}
    browser.get("/practice/", {"from": "2024-12-01"})  # warm caches and imports
    for _ in range(args.runs):
        for name, ci in methods.items():
            report.Rate.ci = ci
            t0 = time.perf_counter()
            assert browser.get("/practice/", {"from": "2024-12-01"}).status_code == 200
            times[name].append(time.perf_counter() - t0)
    now = statistics.median(times["closed form (now)"])
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f"{name:<26} median {med * 1000:7.0f} ms   {med / now:4.1f}x")
    print(f"({args.runs} requests each, interleaved; load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
