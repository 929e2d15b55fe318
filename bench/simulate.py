"""Benchmark: simulate a practice of N clients and write it to Parquet.

Prints wall time, rows per second and peak memory for the full run, and, as
the baseline run side by side in this process, the same generator called one
client at a time (what a per-client loop would cost), as a ratio per client.

    .venv/bin/python bench/simulate.py [--clients 1000000] [--years 4]
"""

import argparse
import resource
import tempfile
import time
from datetime import date
from pathlib import Path

from stillhere.simulator.generate import simulate
from stillhere.simulator.params import SimParams
from stillhere.simulator.write import write_practice


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=1_000_000)
    ap.add_argument("--years", type=float, default=4.0)
    ap.add_argument("--baseline-clients", type=int, default=300)
    args = ap.parse_args()
    params = SimParams(years=args.years)
    as_of = date(2026, 11, 1)

    # Baseline first, so its memory does not hide under the big run's peak.
    t = time.perf_counter()
    for i in range(args.baseline_clients):
        simulate(1, seed=i, as_of=as_of, params=params, recent_share=0.2)
    per_client_loop = (time.perf_counter() - t) / args.baseline_clients

    t = time.perf_counter()
    sim = simulate(args.clients, seed=1, as_of=as_of, params=params, recent_share=0.2)
    t_gen = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        counts = write_practice(sim, Path(tmp), csv=False)
        t_write = time.perf_counter() - t
        size = sum(p.stat().st_size for p in Path(tmp).iterdir()) / 1e6
    total = t_gen + t_write
    per_client_vec = total / args.clients
    print(f"clients            {args.clients:,}")
    print(f"episodes           {counts['episodes']:,}")
    print(f"appointments       {counts['appointments']:,}")
    print(f"generate           {t_gen:.1f} s")
    print(f"write parquet      {t_write:.1f} s  ({size:.0f} MB)")
    print(f"total              {total:.1f} s  ({counts['appointments'] / total:,.0f} appointments/s)")
    print(f"peak RSS           {peak_rss_mb():,.0f} MB")
    print(f"baseline           one client at a time: {per_client_loop * 1e3:.2f} ms/client "
          f"-> {per_client_loop * args.clients / 60:.0f} min for {args.clients:,}")
    print(f"ratio              vectorised is {per_client_loop / per_client_vec:,.0f}x faster per client")


if __name__ == "__main__":
    main()
