"""Benchmark: how long `stillhere --help` and `stillhere tick --help` take to
start, beside the old way of listing verbs (importing every command module).

Each is run as its own process, as a person runs it, N times; the figure is
the median wall time and CPU time of the whole process. The baseline runs in
the same loop, interleaved, so machine load falls on both alike:

- help: `stillhere --help`, which reads each verb's help from its source;
- tick: `stillhere tick --help`, which imports only what the tick needs;
- tick run: a whole `stillhere tick` round on an empty practice database
  (SQLite, migrated first), which skips Django's system checks and imports
  the no-show scorer only when an import needs it;
- tick baseline: the same round as it ran before, i.e. with the system
  checks (they import every URL, so every view, the API and the PDF report)
  and the scorer (Ibis, pandas, SciPy) imported by the import housekeeping;
- baseline: Django set up and every stillhere command module imported, which
  is what `stillhere --help` did before (Ibis, pandas, spaCy and Presidio
  came in with the scan, demo and de-identifier commands).

    .venv/bin/python bench/startup.py [--runs 7]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

BASELINE = """
import os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stillhere.settings")
import django
django.setup()
from django.core.management import get_commands, load_command_class
for name, app in get_commands().items():
    if app.startswith("stillhere."):
        load_command_class(app, name)
"""

TICK_BASELINE = """
import os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stillhere.settings")
import django
django.setup()
from django.core.management import call_command
call_command("check")
import stillhere.risk.booking
call_command("tick")
"""

COMMANDS = {
    "stillhere --help": [sys.executable, "-m", "stillhere.cli", "--help"],
    "stillhere tick --help": [sys.executable, "-m", "stillhere.cli", "tick", "--help"],
    "stillhere tick (a round)": [sys.executable, "-m", "stillhere.cli", "tick"],
    "tick baseline (checks, scorer)": [sys.executable, "-c", TICK_BASELINE],
    "baseline (import every verb)": [sys.executable, "-c", BASELINE],
}


def run_once(argv, env) -> tuple[float, float]:
    t0 = time.perf_counter()
    before = os.times()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return time.perf_counter() - t0, cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    env = dict(os.environ, STILLHERE_DATA_DIR=tempfile.mkdtemp(prefix="bench-startup-"))
    env.pop("DATABASE_URL", None)  # the tick runs on a scratch SQLite file in that folder
    subprocess.run([sys.executable, "-m", "stillhere.cli", "migrate", "-v0"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    for argv in COMMANDS.values():  # warm the file cache and .pyc files first
        run_once(argv, env)
    times = {name: [] for name in COMMANDS}
    for _ in range(args.runs):
        for name, argv in COMMANDS.items():
            times[name].append(run_once(argv, env))
    base = statistics.median(w for w, _ in times["baseline (import every verb)"])
    print(f"{'command':<30} {'wall (median)':>14} {'CPU (median)':>13} {'vs baseline':>12}")
    for name, runs in times.items():
        wall = statistics.median(w for w, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        print(f"{name:<30} {wall:>12.2f} s {cpu:>11.2f} s {base / wall:>11.1f}x")
    print(f"({args.runs} runs each, interleaved; load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
