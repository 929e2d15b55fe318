"""Benchmark: what encryption at rest costs. Encrypt and decrypt per field
(typical sizes), then loading every client of a simulated practice as model
objects with their encrypted columns (15 decrypted per client: names, record
number, contact details, notes) beside the same query with those columns
deferred (nothing decrypted); the client search through the name index
beside the same search reading every client's names; and the client list's
sort by name, which now reads and decrypts every open episode's client
names, beside the same query reading only ids.

Runs in a fresh SQLite file; best of 5 after one warm-up.

    .venv/bin/python bench/encryption.py [--clients 3000]
"""

import argparse
import json
import sys
import os
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scratch import best, scratch_database  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=3000)
    args = ap.parse_args()
    scratch_database()
    from stillhere.accounts.models import Membership
    from stillhere.clients.models import Client
    from stillhere.clients.search import find_clients
    from stillhere.lib import crypto
    from stillhere.simulator.generate import simulate
    from stillhere.simulator.load import load_simulation

    samples = {
        "email (24 chars)": "ana.abbott@example.org",
        "phone (12)": "+15555550100",
        "address line (20)": "4 Mill Lane, Flat 3",
        "safety note (200)": "x" * 200,
        "draft body (1,500)": "y" * 1500,
        "import report (5 kB JSON)": json.dumps({"problems": [{"row": i, "column": "email", "value": "a@b.c"}
                                                              for i in range(80)]}),
    }
    load = os.getloadavg()
    print(f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    print("per value, best of 5 over 2,000 values:")
    for label, text in samples.items():
        enc, _ = best(lambda: [crypto.encrypt(text) for _ in range(2000)])
        token = crypto.encrypt(text)
        dec, _ = best(lambda: [crypto.decrypt(token) for _ in range(2000)])
        print(f"  {label:28} encrypt {enc / 2000 * 1e6:6.1f} µs   decrypt {dec / 2000 * 1e6:6.1f} µs   "
              f"stored {len(token):,} chars (from {len(text):,})")
    pdf = os.urandom(30_000)
    enc, _ = best(lambda: [crypto.encrypt_bytes(pdf) for _ in range(200)])
    token = crypto.encrypt_bytes(pdf)
    dec, _ = best(lambda: [crypto.decrypt_bytes(token) for _ in range(200)])
    print(f"  {'letter PDF (30 kB)':28} encrypt {enc / 200 * 1e6:6.1f} µs   decrypt {dec / 200 * 1e6:6.1f} µs")
    digest, _ = best(lambda: [crypto.blind_index("phone", "+1 555 555-0100") for _ in range(2000)])
    print(f"  {'blind index (phone)':28} {digest / 2000 * 1e6:6.1f} µs")
    from stillhere.clients.name_index import digests

    names, got = best(lambda: [digests("Zoë", "Whitfield", "", "EHR-4471") for _ in range(2000)])
    print(f"  {'name index (Zoë Whitfield)':28} {names / 2000 * 1e6:6.1f} µs for its {len(got[0])} digests")

    sim = simulate(args.clients, seed=5, as_of=date(2026, 11, 1), n_clinicians=10)
    practice, _ = load_simulation(sim, slug="bench-encryption")
    director = Membership.objects.filter(practice=practice).first()
    director.role = Membership.Role.DIRECTOR
    director.save()
    encrypted = [f.name for f in Client._meta.concrete_fields if isinstance(f, crypto.ENCRYPTED)]
    Client.objects.filter(practice=practice).update(  # every encrypted column filled, as at a real practice
        email="someone@example.org", phone="+15555550100", address_line1="4 Mill Lane", address_line2="Flat 3",
        city="Fairhaven", region="Westshire", postal_code="FH1 2AB", safety_note="z" * 120,
        emergency_name="A Person", emergency_relationship="Sister", emergency_phone="+15555550177")
    qs = Client.objects.filter(practice=practice).order_by("id")
    n = qs.count()
    full, _ = best(lambda: list(qs.all()))
    bare, _ = best(lambda: list(qs.defer(*encrypted)))
    print(f"\n{n:,} clients loaded as model objects, {len(encrypted)} encrypted columns each:")
    print(f"  with decryption {full * 1000:7.1f} ms   deferred (none decrypted) {bare * 1000:7.1f} ms   "
          f"overhead {(full - bare) / n * 1e6:5.1f} µs per client ({full / bare:4.2f}x)")
    some = qs[n // 2]
    t, found = best(lambda: find_clients(practice, director.user, some.last_name))
    slow, _ = best(lambda: find_clients(practice, director.user, some.last_name, use_index=False))
    print(f"  client search for a surname: through the name index {t * 1000:7.1f} ms ({len(found)} found), "
          f"reading every client's names {slow * 1000:7.1f} ms ({slow / t:4.1f}x)")

    from stillhere.accounts.permissions import visible_episodes
    from stillhere.clients.name_index import fold

    open_eps = visible_episodes(director).filter(ended__isnull=True)
    k = open_eps.count()

    def sort_by_name():
        names = open_eps.values_list("id", "client__last_name", "client__first_name")
        return [pk for _, _, pk in sorted((fold(last), fold(first), pk) for pk, last, first in names)][:500]

    by_name, _ = best(sort_by_name)
    ids_only, _ = best(lambda: list(open_eps.order_by("id").values_list("id", flat=True)[:500]))
    print(f"  client list order: {k:,} open episodes sorted by decrypted name {by_name * 1000:7.1f} ms, "
          f"beside reading their ids {ids_only * 1000:6.1f} ms ({by_name / ids_only:4.1f}x)")
    load = os.getloadavg()
    print(f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")


if __name__ == "__main__":
    main()
