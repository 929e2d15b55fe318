"""Benchmark: find_clients through the name index (keyed digests of folded
name words and their prefixes: the database finds the clients, only those
are decrypted) beside the same function reading and folding every visible
client's names in Python (`use_index=False`: the way it worked before names
were encrypted, now with a decryption per name), run side by side in one
process on the same practice, for a director who sees every client.

Runs in a fresh SQLite file (or DATABASE_URL) with a simulated practice;
every query is timed best of 5 after one warm-up, and both ways must find
the same clients.

    .venv/bin/python bench/search.py [--clients 5000]
"""

import argparse
import os
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scratch import best, scratch_database  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=5000)
    args = ap.parse_args()
    scratch_database()
    from stillhere.accounts.models import Membership
    from stillhere.clients import name_index
    from stillhere.clients.models import NameDigest
    from stillhere.clients.search import find_clients
    from stillhere.simulator.generate import simulate
    from stillhere.simulator.load import load_simulation

    sim = simulate(args.clients, seed=5, as_of=date(2026, 11, 1), n_clinicians=10)
    practice, _ = load_simulation(sim, slug="bench-search")
    director = Membership.objects.filter(practice=practice).first()
    director.role = Membership.Role.DIRECTOR
    director.save()
    clients = list(practice.clients.order_by("id"))
    some = clients[len(clients) // 2]
    queries = [some.last_name, some.first_name[:3], f"{some.first_name} {some.last_name}",
               f"{some.last_name} {some.first_name[:2]}", some.first_name[:2], some.external_id, "zzzz"]

    n = len(clients)
    rows = NameDigest.objects.filter(practice=practice).count()
    t = time.perf_counter()
    name_index.index_clients(clients)
    rebuilt = time.perf_counter() - t
    load = os.getloadavg()
    print(f"{n:,} clients, {os.environ['DATABASE_URL'].split(':')[0]}; best of 5; "
          f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    print(f"  name index: {rows:,} digests ({rows / n:.1f} a client); rewriting every client's "
          f"{rebuilt:.2f} s ({rebuilt / n * 1e6:.0f} µs a client)")
    ratios = []
    for q in queries:
        ours, found = best(lambda: find_clients(practice, director.user, q))
        base, base_found = best(lambda: find_clients(practice, director.user, q, use_index=False))
        same = [m.client.pk for m in found] == [m.client.pk for m in base_found]
        ratios.append(base / ours)
        print(f"  {q!r:28} index {ours * 1000:7.1f} ms ({len(found)} found)   "
              f"reading every name {base * 1000:7.1f} ms ({len(base_found)} found)   "
              f"{base / ours:5.1f}x faster{'' if same else '   DIFFERENT RESULTS'}")
    load = os.getloadavg()
    print(f"  the index is {min(ratios):.1f}x to {max(ratios):.1f}x faster; "
          f"load average after {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")


if __name__ == "__main__":
    main()
