"""Benchmark: how long `stillhere --help` and `stillhere tick --help` take to
start, beside the old way of listing verbs (importing every command module).

Each is run as its own process, as a person runs it, N times; the figure is
the median wall time and CPU time of the whole process. The baseline runs in
the same loop, interleaved, so machine load falls on both alike:

- help: `stillhere --help`, which finds the verbs in the installed apps'
  folders and reads each verb's help from its source, without setting
  Django up;
- help before: the same listing with Django set up first to ask it for the
  verbs (what `--help` did before issue 18: setting up imports every app,
  django-ninja and pydantic among them, about 0.25 s);
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

HELP_BEFORE = """
import os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stillhere.settings")
import stillhere.cli as cli
cli.verbs = cli._verbs_from_django
print(cli.overview())
"""

STILLHERE = os.path.join(os.path.dirname(sys.executable), "stillhere")  # the command as installed

COMMANDS = {
    "stillhere --help": [STILLHERE, "--help"],
    "--help before (Django set up)": [sys.executable, "-c", HELP_BEFORE],
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
    listings = [subprocess.run(COMMANDS[k], env=env, check=True, capture_output=True, text=True).stdout
                for k in ("stillhere --help", "--help before (Django set up)")]
    if listings[0] != listings[1]:
        raise SystemExit("`stillhere --help` no longer lists what Django's own list of verbs gives")
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
    now = statistics.median(w for w, _ in times["stillhere --help"])
    before = statistics.median(w for w, _ in times["--help before (Django set up)"])
    print(f"`stillhere --help` {now:.2f} s wall, {before / now:.1f}x faster than with Django set up "
          f"({before:.2f} s), the same listing; target 0.5 s wall {'met' if now <= 0.5 else 'NOT met'}")
    print(f"({args.runs} runs each, interleaved; load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
