"""Benchmark: validate and load a simulated practice's measures, and compute alerts.

Runs in a fresh SQLite file. Prints, each beside its baseline run in this
process:

- validation of the whole measures frame (array checks per instrument) vs
  calling score() row by row;
- load_measures (bulk, one transaction) vs record_result() one row at a time
  (the web form's path), per row;
- current_alerts over every client's history, clients per second.

    .venv/bin/python bench/measures.py [--clients 10000] [--baseline-rows 2000]
"""

import argparse
import os
import tempfile
import time
from datetime import date


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=10_000)
    ap.add_argument("--baseline-rows", type=int, default=2000)
    args = ap.parse_args()

    tmp = tempfile.mkdtemp()
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ["STILLHERE_DATA_DIR"] = tmp
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stillhere.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from stillhere.accounts.models import Practice
    from stillhere.clients.bulk import load_practice
    from stillhere.clients.models import Client
    from stillhere.measures.alerts import current_alerts
    from stillhere.measures.bulk import _validate, load_measures
    from stillhere.measures.instruments import DEFAULT_REGISTRY
    from stillhere.measures.models import MeasureResult
    from stillhere.measures.record import record_result
    from stillhere.measures.scoring import score
    from stillhere.simulator.generate import simulate

    sim = simulate(args.clients, seed=1, as_of=date(2026, 11, 1))
    m = sim.measures
    n = len(m)

    t = time.perf_counter()
    _validate(m, DEFAULT_REGISTRY)
    t_vec = time.perf_counter() - t
    t = time.perf_counter()
    for r in m.itertuples(index=False):
        score(r.instrument, total=r.total)
    t_loop = time.perf_counter() - t

    practice = Practice.objects.create(name="Bench", slug="bench", timezone=sim.timezone)
    load_practice(practice, sim.clinicians, sim.clients, sim.episodes, sim.appointments)
    t = time.perf_counter()
    load_measures(practice, m)
    t_bulk = time.perf_counter() - t

    sample = m.sample(args.baseline_rows, random_state=1)
    clients = {c.external_id: c for c in Client.objects.filter(
        practice=practice, external_id__in=sample.client_id.astype(str).unique().tolist()).select_related("practice")}
    t = time.perf_counter()
    for r in sample.itertuples(index=False):
        record_result(clients[str(r.client_id)], r.instrument, total=r.total, taken_on=r.date,
                      registry=DEFAULT_REGISTRY, audit=False, source="bench")
    t_one = (time.perf_counter() - t) / len(sample)

    rows = list(MeasureResult.objects.filter(practice=practice, source="simulator")
                .order_by("client_id", "taken_on", "id").values("client_id", "instrument", "taken_on", "total",
                                                                 "episode_id"))
    by_client = {}
    for r in rows:
        by_client.setdefault(r["client_id"], []).append(r)
    t = time.perf_counter()
    n_alerts = sum(len(current_alerts(h)) for h in by_client.values())
    t_alerts = time.perf_counter() - t

    print(f"clients            {args.clients:,}")
    print(f"measure rows       {n:,}")
    print(f"validate frame     {t_vec:.2f} s ({n / t_vec:,.0f} rows/s); baseline score() per row {t_loop:.2f} s "
          f"-> {t_loop / t_vec:.0f}x")
    print(f"load_measures      {t_bulk:.2f} s ({n / t_bulk:,.0f} rows/s); baseline record_result() "
          f"{t_one * 1e3:.2f} ms/row -> {t_one * n / t_bulk:.0f}x")
    print(f"current_alerts     {len(by_client):,} clients in {t_alerts:.2f} s "
          f"({len(by_client) / t_alerts:,.0f} clients/s, {n_alerts:,} alerts)")


if __name__ == "__main__":
    main()
