"""Benchmark: `stillhere scan` end to end, as a user runs it, beside the code before.

    .venv/bin/python bench/scan_e2e.py --base /path/to/worktree-of-the-previous-commit \\
        [--clients 100000] [--skip-sqlite] [--skip-postgres] [--skip-snapshot] [--pg-url postgres://...]

Each run is the command in its own process (`stillhere scan --practice P
--as-of T --json > file`), timed whole (wall time, and the process's CPU
time, which a shared machine's load distorts far less): start-up, the features and scores,
reconciling states, storing changes and scores, the JSON. Three ways:

- SQLite: the scan in the database file;
- PostgreSQL: the scan in the database;
- snapshot: `stillhere snapshot` (from PostgreSQL) and `scan --snapshot`, timed together.

Each is run twice on a fresh copy of the same practice: the first run (every
episode new to the scan, about a fifth of them changing state) and a second
an hour later (little changed). The code before (`--base`: a worktree at the
previous commit with its own .venv) is run the same way, interleaved, on its
own fresh copy; the rows each run wrote (state changes, dropout and no-show
scores) are counted from the database after it.

The practice is simulated once (seed 0, two years to AS_OF) into
bench/out/scan_e2e-<N>/practice.sqlite3 and copied, never rebuilt: for
PostgreSQL its tables are copied into a template database by COPY (loading
it through the importer takes many minutes), and each run starts from
CREATE DATABASE ... TEMPLATE.
"""

import argparse
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
SLUG = "e2e"
AS_OF = "2026-11-30"
FIRST, SECOND = "2026-11-30T06:00:00+00:00", "2026-11-30T07:00:00+00:00"


CPU = [0.0]   # CPU seconds of the last command (user + system): what a loaded machine distorts least


def sh(cmd, env, stdout=None) -> float:
    t = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    r = subprocess.run(cmd, env=env, stdout=stdout or subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU[0] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if r.returncode:
        sys.exit(f"{' '.join(map(str, cmd))} failed:\n{r.stderr[-3000:]}")
    return time.perf_counter() - t


def load() -> str:
    return os.getloadavg().__repr__()


def build_practice(work: Path, clients: int) -> Path:
    db = work / "practice.sqlite3"
    if db.exists():
        return db
    env = {**os.environ, "STILLHERE_DATA_DIR": str(work), "DATABASE_URL": f"sqlite:///{work}/building.sqlite3"}
    exe = ROOT / ".venv" / "bin" / "stillhere"
    sh([exe, "migrate", "-v0"], env)
    print(f"simulating and loading {clients:,} clients (once)...", flush=True)
    t = sh([exe, "simulate", "--clients", str(clients), "--seed", "0", "--as-of", AS_OF, "--years", "2",
            "--into-db", "--practice", SLUG], env)
    print(f"  loaded in {t:.0f} s", flush=True)
    (work / "building.sqlite3").rename(db)
    return db


def pg_admin(url: str):
    return psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True)


def pg_template(work: Path, sqlite_db: Path, url: str) -> str:
    """The practice in a PostgreSQL template database, copied table by table."""
    base = url.rsplit("/", 1)[0]
    name = f"{url.rsplit('/', 1)[1]}_e2e_template"
    with pg_admin(url) as c:
        if c.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return name
        c.execute(f'CREATE DATABASE "{name}_building"')
    env = {**os.environ, "STILLHERE_DATA_DIR": str(work), "DATABASE_URL": f"{base}/{name}_building"}
    sh([ROOT / ".venv" / "bin" / "stillhere", "migrate", "-v0"], env)
    print("copying the practice into PostgreSQL (once)...", flush=True)
    t0 = time.perf_counter()
    src = sqlite3.connect(sqlite_db)
    tables = [r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
                                        "'sqlite_%' AND name != 'django_migrations'")]
    with psycopg.connect(f"{base}/{name}_building") as pg:
        pg.execute("SET TIME ZONE 'UTC'")
        have = {r[0] for r in pg.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        tables = [t for t in tables if t in have]
        pg.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE")
        for t in tables:
            cols = [r[1] for r in src.execute(f'PRAGMA table_info("{t}")')]
            bools = {r[0] for r in pg.execute("SELECT column_name FROM information_schema.columns WHERE table_name = %s "
                                              "AND data_type = 'boolean'", [t])}
            at = [i for i, c in enumerate(cols) if c in bools]
            names = ", ".join(f'"{c}"' for c in cols)
            with pg.cursor().copy(f'COPY "{t}" ({names}) FROM STDIN') as cp:
                for row in src.execute(f'SELECT * FROM "{t}"'):
                    if at:
                        row = list(row)
                        for i in at:
                            row[i] = None if row[i] is None else bool(row[i])
                    cp.write_row(row)
            if "id" in cols:
                pg.execute(f"SELECT setval(pg_get_serial_sequence('\"{t}\"', 'id'), coalesce(max(id), 1)) FROM \"{t}\"")
        pg.commit()
        pg.execute("ANALYZE")
    with pg_admin(url) as c:
        c.execute(f'ALTER DATABASE "{name}_building" RENAME TO "{name}"')
    print(f"  copied in {time.perf_counter() - t0:.0f} s", flush=True)
    return name


def fresh(kind: str, work: Path, sqlite_db: Path, url: str, template: str | None) -> str:
    if kind == "sqlite":
        run = work / "run.sqlite3"
        # The last run's write-ahead log too: left beside a fresh copy, SQLite would replay it onto it.
        for path in (run, run.with_name(run.name + "-wal"), run.with_name(run.name + "-shm")):
            path.unlink(missing_ok=True)
        shutil.copyfile(sqlite_db, run)
        # The planner's statistics, for the code before too (the scan now
        # gathers them itself when missing; without them the code before
        # takes minutes in SQLite's query alone): the ratio is its best case.
        with sqlite3.connect(run) as c:
            c.execute("PRAGMA analysis_limit = 1000")
            c.execute("ANALYZE")
        return f"sqlite:///{run}"
    name = f"{url.rsplit('/', 1)[1]}_e2e_run"
    with pg_admin(url) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}"')
        c.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return f"{url.rsplit('/', 1)[0]}/{name}"


def counts(db_url: str) -> dict:
    q = ("SELECT (SELECT count(*) FROM engagement_statechange), (SELECT count(*) FROM risk_riskscore), "
         "(SELECT count(*) FROM risk_noshowrisk)")
    if db_url.startswith("sqlite"):
        row = sqlite3.connect(db_url.removeprefix("sqlite:///")).execute(q).fetchone()
    else:
        with psycopg.connect(db_url) as c:
            row = c.execute(q).fetchone()
    return dict(zip(("state changes", "dropout scores", "no-show scores"), row))


def one(code: Path, kind: str, work: Path, db_url: str, as_of: str) -> dict:
    env = {**os.environ, "STILLHERE_DATA_DIR": str(work), "DATABASE_URL": db_url}
    exe = code / ".venv" / "bin" / "stillhere"
    before = counts(db_url)
    out = work / f"scan-{kind}.jsonl"
    t = cpu = 0.0
    if kind == "snapshot":
        snap = work / "snapshot"
        shutil.rmtree(snap, ignore_errors=True)
        t += sh([exe, "snapshot", "--practice", SLUG, "--out", snap], env)
        cpu += CPU[0]
        extra = ["--snapshot", str(snap)]
    else:
        extra = []
    with open(out, "w") as f:
        t += sh([exe, "scan", "--practice", SLUG, "--as-of", as_of, "--json", *extra], env, stdout=f)
    cpu += CPU[0]
    after = counts(db_url)
    with open(out) as f:
        lines = sum(1 for _ in f)
    return {"seconds": t, "cpu": cpu, "episodes": lines, "load": os.getloadavg()[0],
            "written": {k: after[k] - before[k] for k in after}}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=100_000)
    ap.add_argument("--base", type=Path, help="a worktree of the previous commit, with its own .venv")
    ap.add_argument("--only-now", action="store_true", help="run this code only (no side-by-side ratio)")
    ap.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/h18a"))
    for k in ("sqlite", "postgres", "snapshot"):
        ap.add_argument(f"--skip-{k}", action="store_true")
    args = ap.parse_args()
    work = OUT / f"scan_e2e-{args.clients}"
    work.mkdir(parents=True, exist_ok=True)
    sqlite_db = build_practice(work, args.clients)
    kinds = [k for k in ("sqlite", "postgres", "snapshot") if not getattr(args, f"skip_{k}")]
    template = pg_template(work, sqlite_db, args.pg_url) if {"postgres", "snapshot"} & set(kinds) else None
    results = {}
    for kind in kinds:
        codes = [("now", ROOT)] if args.only_now else [("before", args.base.resolve()), ("now", ROOT)]
        for label, code in codes:
            db = fresh("sqlite" if kind == "sqlite" else "postgres", work, sqlite_db, args.pg_url, template)
            for run, as_of in (("first", FIRST), ("second", SECOND)):
                r = one(code, kind, work, db, as_of)
                results[(kind, label, run)] = r
                print(f"{kind:9} {label:6} {run:6} {r['seconds']:7.1f} s wall {r['cpu']:6.1f} s CPU  "
                      f"{r['episodes']:,} episodes  "
                      f"written {r['written']}  load {r['load']:.1f}", flush=True)
    print(f"\n{args.clients:,} clients; `stillhere scan --practice {SLUG} --as-of T --json`, whole process, wall time")
    for kind in kinds:
        for run in ("first", "second"):
            n = results[(kind, "now", run)]
            if args.only_now:
                print(f"{kind:9} {run:6} now {n['seconds']:7.1f} s wall, {n['cpu']:6.1f} s CPU   "
                      f"rows written {sum(n['written'].values()):,}")
                continue
            b = results[(kind, "before", run)]
            print(f"{kind:9} {run:6} now {n['seconds']:7.1f} s wall {n['cpu']:6.1f} s CPU   before "
                  f"{b['seconds']:7.1f} s wall {b['cpu']:6.1f} s CPU   {b['cpu'] / n['cpu']:4.1f}x less CPU   "
                  f"rows written now {sum(n['written'].values()):,} before {sum(b['written'].values()):,}")
    print("load average (1, 5, 15 min):", load())
    (work / "results.json").write_text(json.dumps({"|".join(k): v for k, v in results.items()}, indent=1))


if __name__ == "__main__":
    main()
