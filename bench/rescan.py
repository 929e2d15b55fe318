"""Benchmark: the rescan an import or a page's change runs (engagement/
rescan.py: the scan itself, restricted to the touched clients) beside the
whole-practice scan of the morning run, in the same process and database.

    .venv/bin/python bench/rescan.py [--clients 2000] [--repeat 5] [--postgres]

A practice of N simulated clients is loaded into a fresh database (SQLite in
a temporary folder, or with --postgres the database BENCH_RESCAN_URL,
default stillhere_bench_rescan on the local server, dropped and made afresh).
One whole scan runs first (it compiles the queries, as the morning run has
done by the time anyone imports). Then, interleaved: a rescan of 1 episode,
of 10 episodes, and a whole scan; medians of --repeat runs are printed in
milliseconds with the ratio to the whole scan.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_URL = os.getenv("BENCH_RESCAN_URL", "postgres://postgres@127.0.0.1:5432/stillhere_bench_rescan")


def fresh_postgres() -> None:
    import psycopg

    name = urlparse(PG_URL).path.lstrip("/")
    with psycopg.connect(PG_URL.rsplit("/", 1)[0] + "/postgres", autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        con.execute(f'CREATE DATABASE "{name}"')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--postgres", action="store_true")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="bench-rescan-")
    os.environ.setdefault("STILLHERE_DATA_DIR", tmp)
    if args.postgres:
        fresh_postgres()
        os.environ["DATABASE_URL"] = PG_URL
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stillhere.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from stillhere.clients.models import Appointment, Episode
    from stillhere.engagement.rescan import rescan_episodes
    from stillhere.engagement.scan import scan_practice
    from stillhere.simulator.generate import simulate
    from stillhere.simulator.load import load_simulation

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    sim = simulate(args.clients, seed=3, as_of=date.today(), n_clinicians=max(1, args.clients // 60))
    practice, _ = load_simulation(sim, slug="bench-rescan")
    if args.postgres:
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    open_eps = list(Episode.objects.filter(practice=practice, ended__isnull=True).order_by("id")
                    .values_list("id", flat=True))
    print(f"{connection.vendor}: {args.clients:,} clients, {len(open_eps):,} open episodes, "
          f"{Appointment.objects.filter(practice=practice).count():,} appointments "
          f"(set up in {time.perf_counter() - t0:.0f} s)", flush=True)

    def timed(fn) -> float:
        t = time.perf_counter()
        fn()
        return (time.perf_counter() - t) * 1000

    first = timed(lambda: scan_practice(practice, timezone.now()))
    print(f"first whole scan (compiles the queries): {first:,.0f} ms", flush=True)
    one, ten, whole = [], [], []
    for i in range(args.repeat):
        ep = open_eps[(i * 97) % len(open_eps)]
        one.append(timed(lambda: rescan_episodes(practice, [ep], why="bench")))
        some = open_eps[i * 10:(i + 1) * 10]
        ten.append(timed(lambda: rescan_episodes(practice, some, why="bench")))
        whole.append(timed(lambda: scan_practice(practice, timezone.now())))
    m1, m10, mw = (statistics.median(x) for x in (one, ten, whole))
    print(f"rescan of 1 episode: {m1:,.0f} ms (median of {args.repeat}; runs {', '.join(f'{x:.0f}' for x in one)})")
    print(f"rescan of 10 episodes: {m10:,.0f} ms")
    print(f"whole-practice scan: {mw:,.0f} ms")
    print(f"1-episode rescan is {mw / m1:.1f}x faster than the whole scan ({m1 / mw:.1%} of its time); "
          f"10 episodes {mw / m10:.1f}x")


if __name__ == "__main__":
    main()
