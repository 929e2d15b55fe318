"""Benchmark: import 1M appointment rows from the generic CSV into SQLite and
PostgreSQL, beside a plain row-by-row ORM import of the same rows.

    .venv/bin/python bench/ingest.py [--rows 1000000] [--baseline-rows 20000] [--db sqlite,postgres]

What is timed is the import itself (`run_import(..., rescan=False)`: read,
check, write through the bulk writer (lib/bulk.py), long-silence splits,
session numbers, the no-show risk of what it booked), then the same file
again (a no-op). The rescan that follows an import is the scan's own cost
(bench/scan.py), so it is left out here; so is the baseline's. On a shared
machine wall time follows the load, so this process's CPU time is printed
too (on SQLite it is all the work; on PostgreSQL the server's share is not in it).

The files come from the simulator (written once, by a separate process, into
$STILLHERE_DATA_DIR/bench-ingest/). Each database is measured in its own
child process, which runs our import and then the baseline, so the two are
timed side by side in the same process. The baseline (get_or_create for the
client and episode, update_or_create for the appointment, one row at a time,
in one transaction) is timed on the first --baseline-rows rows and compared
per row. Peak RSS is the child's, read after our import and before the
baseline, to show that memory does not grow with the file.
"""

import argparse
import csv
import os
import resource
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_URL = os.getenv("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/stillhere_bench")


def load_average() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def data_dir() -> Path:
    from stillhere.lib.paths import data_dir as d

    path = d() / "bench-ingest"
    path.mkdir(exist_ok=True)
    return path


def make_files(rows: int) -> Path:
    """appointments.csv with exactly `rows` rows, and the clients they name."""
    out = data_dir()
    target = out / f"appointments-{rows}.csv"
    if target.exists():
        return target
    clients = max(100, int(rows / 10))  # about 11 rows per client over 4 years
    subprocess.run([sys.executable, "-m", "stillhere.cli", "simulate", "--clients", str(clients), "--seed", "7",
                    "--years", "4", "--as-of", "2026-06-01", "--out", str(out / "sim")], check=True,
                   env={**os.environ, "DATABASE_URL": "sqlite://:memory:"})
    partial = target.with_suffix(".partial")
    with open(out / "sim" / "appointments.csv", newline="") as src, open(partial, "w", newline="") as dst:
        for n, line in enumerate(src):
            if n > rows:
                break
            dst.write(line)
    if n < rows:
        raise SystemExit(f"the simulator made only {n:,} rows; raise the client count")
    partial.rename(target)
    return target


def fresh_database(db: str) -> str:
    if db == "sqlite":
        path = data_dir() / f"bench-{os.getpid()}.sqlite3"   # its own file: two runs may overlap
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    import psycopg

    base, name = PG_URL.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG_URL


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def baseline(practice, path: Path, rows: int) -> float:
    """The straightforward way: one row at a time through the ORM."""
    from django.db import transaction

    from stillhere.clients.models import Appointment, Client, Episode
    from stillhere.ingest.clinicians import Clinicians

    clinicians = Clinicians(practice)
    tz = practice.tz
    t = time.perf_counter()
    with transaction.atomic(), open(path, newline="") as f:
        for n, r in enumerate(csv.DictReader(f)):
            if n >= rows:
                break
            start = datetime.fromisoformat(r["start"])
            first, _, last = r["client_name"].partition(" ")
            client, _ = Client.objects.get_or_create(practice=practice, external_id=r["client_id"],
                                                     defaults={"first_name": first, "last_name": last})
            episode, _ = Episode.objects.get_or_create(
                practice=practice, external_id=r["episode_id"],
                defaults={"client": client, "clinician_id": clinicians.resolve(r["clinician"]),
                          "started": start.astimezone(tz).date()})
            Appointment.objects.update_or_create(practice=practice, external_id=r["appointment_id"], defaults={
                "episode": episode, "start": start, "status": r["status"],
                "booked_at": datetime.fromisoformat(r["booked_at"]) if r["booked_at"] else None,
                "cancelled_at": datetime.fromisoformat(r["cancelled_at"]) if r["cancelled_at"] else None,
                "duration_min": int(r["duration_min"]), "minutes_late": int(r["late_minutes"]),
                "session_type": r["session_type"]})
    return time.perf_counter() - t


def run_one(db: str, path: Path, baseline_rows: int) -> None:
    """In a child process: our import, then the baseline, on one database."""
    os.environ["DATABASE_URL"] = fresh_database(db)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stillhere.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from stillhere.accounts.models import Practice
    from stillhere.ingest.service import run_import
    from stillhere.ingest.sources import CsvSource

    call_command("migrate", verbosity=0)
    practice = Practice.objects.create(name="Bench", slug="bench", timezone="Europe/London")
    rss_before = peak_rss_mb()
    t, cpu = time.perf_counter(), time.process_time()
    report = run_import(practice, CsvSource(path), rescan=False)
    ours, ours_cpu = time.perf_counter() - t, time.process_time() - cpu
    rss = peak_rss_mb()
    assert report.status == "imported", report.lines()[:5]
    n = report.counts["appointments"]["created"]
    t, cpu = time.perf_counter(), time.process_time()
    again = run_import(practice, CsvSource(path), rescan=False)
    reimport, again_cpu = time.perf_counter() - t, time.process_time() - cpu
    assert again.counts["appointments"]["unchanged"] == n, again.counts
    load_after = load_average()

    other = Practice.objects.create(name="Baseline", slug="baseline", timezone="Europe/London")
    cpu = time.process_time()
    base = baseline(other, path, baseline_rows)
    base_cpu = time.process_time() - cpu
    ours_rate, base_rate = n / ours, baseline_rows / base
    print(f"[{db}] rows                 {n:,} appointments, {report.counts['clients']['created']:,} clients, "
          f"{report.counts['episodes']['created']:,} episodes ({path.stat().st_size / 1e6:.0f} MB CSV)")
    print(f"[{db}] ours                 {ours:.1f} s  ({ours_rate:,.0f} rows/s); this process's CPU {ours_cpu:.1f} s "
          f"({n / ours_cpu:,.0f} rows per CPU second)")
    print(f"[{db}] re-import (no-op)    {reimport:.1f} s  ({n / reimport:,.0f} rows/s); CPU {again_cpu:.1f} s")
    print(f"[{db}] peak RSS             {rss:,.0f} MB (was {rss_before:,.0f} MB before the import)")
    print(f"[{db}] baseline row-by-row  {base:.1f} s for the first {baseline_rows:,} rows "
          f"({base_rate:,.0f} rows/s -> {n / base_rate / 60:.0f} min for {n:,})")
    print(f"[{db}] ratio                ours is {ours_rate / base_rate:.1f}x faster per row "
          f"({n / ours_cpu / (baseline_rows / base_cpu):.1f}x per CPU second of this process; "
          f"baseline CPU {base_cpu:.1f} s)")
    print(f"[{db}] {load_after} (after our imports), {load_average()} (after the baseline)")
    if db == "sqlite":
        from django.db import connection

        connection.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{os.environ['DATABASE_URL'][len('sqlite:///'):]}{suffix}").unlink(missing_ok=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--baseline-rows", type=int, default=20_000)
    ap.add_argument("--db", default="sqlite,postgres")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        run_one(args.child, make_files(args.rows), args.baseline_rows)
        return
    path = make_files(args.rows)
    for db in args.db.split(","):
        subprocess.run([sys.executable, __file__, "--child", db, "--rows", str(args.rows),
                        "--baseline-rows", str(args.baseline_rows)], check=True)


if __name__ == "__main__":
    main()
