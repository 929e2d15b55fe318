"""Benchmark: the scan (features + dropout score + derived state for every
episode) over a simulated platform, on DuckDB over Parquet and in-database on
PostgreSQL, beside a straightforward pandas implementation of the same
features run in the same process.

    .venv/bin/python bench/scan.py [--clients 1000000] [--skip-postgres]

The practice is simulated once into bench/out/scan-<N>/ (kept between runs,
not in git). Before timing, the pandas baseline is checked against the Ibis
definition on a small practice, so the ratio compares like with like.
"""

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import ibis
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pandas_features import features as pandas_features  # noqa: E402

from stillhere.engagement.rules import derive  # noqa: E402
from stillhere.features.episode import episode_features  # noqa: E402
from stillhere.features.sources import CANONICAL, from_canonical, from_parquet  # noqa: E402
from stillhere.engagement.defaults import PG_WORK_MEM  # noqa: E402
from stillhere.risk.default_model import score  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
AS_OF = date(2026, 11, 1)
T = int(datetime.combine(AS_OF, datetime.min.time(), timezone.utc).timestamp())
COMPARE = ["session_number", "n_no_show", "recent_missed", "last_attended_s", "next_booking_s", "cadence_days",
           "missed_open", "cancel_no_rebook", "srs_latest", "srs_prev", "not_on_track", "risk", "derived_state"]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def scan_expr(src):
    return derive(score(episode_features(src, T)))


def canonical_frames(folder: Path) -> dict:
    src = from_parquet(folder)
    return {name: getattr(src, name).to_pandas() for name in CANONICAL}


def check_baseline_agrees() -> None:
    from stillhere.simulator.generate import simulate
    from stillhere.simulator.write import write_practice

    with tempfile.TemporaryDirectory() as tmp:
        write_practice(simulate(2000, seed=9, as_of=AS_OF), Path(tmp), csv=False)
        ibis_df = scan_expr(from_parquet(Path(tmp))).to_pandas().set_index("episode_id").sort_index()
        fr = canonical_frames(Path(tmp))
        pd_df = pandas_features(fr["appointments"], fr["episodes"], fr["clients"], fr["measures"], T)
        pd_df = pd_df.set_index("episode_id").sort_index()
    for col in COMPARE:
        a, b = ibis_df[col], pd_df[col]
        if a.dtype == object or b.dtype == object:
            assert (a.astype(str) == b.astype(str)).all(), col
        else:
            np.testing.assert_allclose(a.astype(float), b.astype(float), rtol=1e-9, equal_nan=True, err_msg=col)


def ensure_practice(n: int) -> Path:
    folder = OUT / f"scan-{n}"
    if not (folder / "appointments.parquet").exists():
        print(f"simulating {n:,} clients into {folder} (once) ...", flush=True)
        subprocess.run([sys.executable, "-m", "stillhere.cli", "simulate", "--clients", str(n), "--seed", "1",
                        "--years", "4", "--as-of", AS_OF.isoformat(), "--out", str(folder), "--no-csv"], check=True)
    return folder


def load_postgres(folder: Path, url: str):
    """Canonical tables into PostgreSQL with COPY (DuckDB writes the CSV)."""
    import psycopg

    con = ibis.duckdb.connect()
    src = from_parquet(folder, con)
    with psycopg.connect(url, autocommit=True) as pg, tempfile.TemporaryDirectory() as tmp:
        for name in CANONICAL:
            t = getattr(src, name)
            cols = ", ".join(f'"{c}" {_pg_type(dt)}' for c, dt in t.schema().items())
            pg.execute(f"DROP TABLE IF EXISTS sh_{name}")
            pg.execute(f"CREATE UNLOGGED TABLE sh_{name} ({cols})")
            path = Path(tmp) / f"{name}.csv"
            con.con.execute(f"COPY ({ibis.to_sql(t, dialect='duckdb')}) TO '{path}' (HEADER false)")
            with pg.cursor() as cur, cur.copy(f"COPY sh_{name} FROM STDIN (FORMAT csv)") as copy, open(path, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    copy.write(chunk)
            pg.execute(f"ANALYZE sh_{name}")


def _pg_type(dt) -> str:
    if dt.is_boolean():
        return "boolean"
    if dt.is_integer():
        return "bigint"
    if dt.is_floating():
        return "double precision"
    return "text"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=1_000_000)
    ap.add_argument("--skip-postgres", action="store_true")
    ap.add_argument("--postgres", default=os.getenv("BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"))
    args = ap.parse_args()

    check_baseline_agrees()
    print("baseline check           pandas and Ibis agree on a 2,000-client practice")
    folder = ensure_practice(args.clients)
    n_appts = duckdb.sql(f"select count(*) from '{folder}/appointments.parquet'").fetchall()[0][0]
    print(f"practice                 {args.clients:,} clients, {n_appts:,} appointments")

    con = ibis.duckdb.connect()
    src = from_parquet(folder, con)
    t = time.perf_counter()
    sql = ibis.to_sql(scan_expr(src), dialect="duckdb")
    compile_s = time.perf_counter() - t
    con.con.sql(sql).to_arrow_table()  # warm the file cache
    times = []
    for _ in range(3):
        t = time.perf_counter()
        out = con.con.sql(sql).to_arrow_table()
        times.append(time.perf_counter() - t)
    duck = min(times)
    duck_rss = rss_mb()
    print(f"DuckDB over Parquet      {duck:.2f} s  ({len(out):,} episodes; best of 3; compiling the Ibis "
          f"expression once took {compile_s:.2f} s)  peak RSS {duck_rss:,.0f} MB")

    pg = None
    if not args.skip_postgres:
        t = time.perf_counter()
        load_postgres(folder, args.postgres)
        load = time.perf_counter() - t
        pcon = ibis.connect(args.postgres)
        # Room for the hash aggregates in memory instead of spilling to disk;
        # the scan command sets the same for its own session.
        pcon.raw_sql(f"SET work_mem = '{PG_WORK_MEM}'")
        psrc = from_canonical(pcon)
        t = time.perf_counter()
        rows = len(scan_expr(psrc).execute())
        pg = time.perf_counter() - t
        print(f"PostgreSQL in-database   {pg:.1f} s  ({rows:,} episodes; load by COPY took {load:.0f} s)")

    t = time.perf_counter()
    fr = canonical_frames(folder)
    read = time.perf_counter() - t
    t = time.perf_counter()
    base = pandas_features(fr["appointments"], fr["episodes"], fr["clients"], fr["measures"], T)
    pandas_s = time.perf_counter() - t
    print(f"pandas baseline          {pandas_s:.1f} s  (+{read:.1f} s to load the frames; {len(base):,} episodes)"
          f"  peak RSS {rss_mb():,.0f} MB")
    print(f"ratio                    DuckDB is {pandas_s / duck:.1f}x faster than pandas"
          + (f"; PostgreSQL is {pandas_s / pg:.2f}x pandas' speed" if pg else ""))
    print(f"targets                  DuckDB <= 2 s: {'met' if duck <= 2 else 'NOT met'}"
          + (f"; PostgreSQL <= 60 s: {'met' if pg <= 60 else 'NOT met'}" if pg else "")
          + f"; scan RSS <= 4 GB: {'met' if duck_rss <= 4096 else 'NOT met'}")


if __name__ == "__main__":
    main()
