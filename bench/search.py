"""Benchmark: find_clients (accent- and case-folding in Python over the
clients a director may see) beside the database's own case-insensitive
LIKE on the same columns (which cannot ignore accents), run side by side.

Runs in a fresh SQLite file with a simulated practice; every query is timed
best of 5 after one warm-up.

    .venv/bin/python bench/search.py [--clients 5000]
"""

import argparse
import os
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scratch import best, scratch_database  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=5000)
    args = ap.parse_args()
    scratch_database()
    from django.db.models import Q

    from stillhere.accounts.models import Membership
    from stillhere.accounts.permissions import visible_clients
    from stillhere.clients.search import find_clients
    from stillhere.simulator.generate import simulate
    from stillhere.simulator.load import load_simulation

    sim = simulate(args.clients, seed=5, as_of=date(2026, 11, 1), n_clinicians=10)
    practice, _ = load_simulation(sim, slug="bench-search")
    director = Membership.objects.filter(practice=practice).first()
    director.role = Membership.Role.DIRECTOR
    director.save()
    some = practice.clients.order_by("id")[args.clients // 2]
    queries = [some.last_name, some.first_name[:3], f"{some.first_name} {some.last_name}", "zzzz"]

    def like(text):
        qs = visible_clients(director)
        for w in text.split():
            qs = qs.filter(Q(first_name__icontains=w) | Q(last_name__icontains=w) | Q(preferred_name__icontains=w)
                           | Q(external_id__icontains=w))
        return list(qs.values_list("id", flat=True)[:50])

    n = practice.clients.count()
    print(f"{n:,} clients, {os.environ['DATABASE_URL'].split(':')[0]}; best of 5")
    for q in queries:
        ours, found = best(lambda: find_clients(practice, director.user, q))
        base, base_found = best(lambda: like(q))
        print(f"  {q!r:28} find_clients {ours * 1000:7.1f} ms ({len(found)} found)   "
              f"LIKE {base * 1000:6.1f} ms ({len(base_found)} found)   ratio {ours / base:5.1f}x")


if __name__ == "__main__":
    main()
