"""Benchmark: what one request for each of the pages bench/inbox.py loads
costs on its own (CPU of this process, queries and their time), a figure
the machine's load barely moves.

Against bench/inbox.py's 50-clinician practice in PostgreSQL (build it
first with `bench/inbox.py --setup-only`; BENCH_INBOX_URL as there), in
this process through Django's test client (the whole middleware stack,
DEBUG off, no HTTP server): a clinician's inbox, the first page of their
client list and one of their client pages; a director's inbox, a page of
the whole practice's list and the practice page. Each page once to warm up,
then `--requests` times in turn, as a paced user meets it (the page's own
caches warm, as they are for most requests under bench/inbox.py's load);
with `--cold`, every per-process cache is emptied before each request.

    .venv/bin/python bench/page_cost.py [--requests 20] [--cold] [--profile PAGE] [--explain PAGE]

Prints per page: median CPU ms (this process: Python, templates, the
database driver), median wall ms, queries per request and median SQL ms
(the database's time, as the driver waits for it). `--profile "client page"`
prints a pyinstrument profile of that page's requests (pyinstrument is not a
dependency: `pip install pyinstrument` into the venv); `--explain PAGE`
prints EXPLAIN ANALYZE for each query of one request of it. Run it with
PYTHONPATH=<another checkout> to measure that code on the same database.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
URL = os.getenv("BENCH_INBOX_URL", "postgres://postgres@127.0.0.1:5432/stillhere_bench_inbox")
os.environ.update(DATABASE_URL=URL, DJANGO_SETTINGS_MODULE="stillhere.settings", DEBUG="False")
if not os.getenv("PYTHONPATH"):
    sys.path.insert(0, str(ROOT))
SLUG = "bench-inbox"


class Queries:
    """Counts the queries of a request and the time the driver waits for them."""

    def __init__(self, keep=False):
        self.n, self.seconds, self.keep, self.sql = 0, 0.0, keep, []

    def __call__(self, execute, sql, params, many, context):
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.n += 1
            self.seconds += time.perf_counter() - t
            if self.keep:
                self.sql.append((sql, params))


def clear_caches():
    from stillhere.engagement.inbox import inbox_cache

    inbox_cache.store.clear()
    inbox_cache.last = None
    try:
        from stillhere.clients.listing import _orders
        _orders.store.clear()
    except ImportError:
        pass
    try:
        from stillhere.analytics.cache import report_cache
        report_cache.clear()
    except ImportError:
        pass
    for mod, name in (("stillhere.engagement.views", "page_cache"),):
        try:
            cache = getattr(__import__(mod, fromlist=[name]), name)
            cache.clear()
        except (ImportError, AttributeError):
            pass


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--requests", type=int, default=20)
    ap.add_argument("--cold", action="store_true", help="empty every per-process cache before each request")
    ap.add_argument("--profile", help="a page's name: print its pyinstrument profile")
    ap.add_argument("--explain", help="a page's name: EXPLAIN ANALYZE each of its queries")
    args = ap.parse_args()

    import re

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from stillhere.accounts.models import Membership
    from stillhere.clients.models import Episode
    from stillhere.security.testing import force_login_verified

    setup_test_environment()
    User = get_user_model()
    members = Membership.objects.filter(practice__slug=SLUG)
    # The clinician with the median caseload, and the first director.
    clinicians = sorted(members.filter(role="clinician"),
                        key=lambda m: (Episode.objects.filter(clinician=m, ended__isnull=True).count(), m.pk))
    clinician = clinicians[len(clinicians) // 2]
    director = members.filter(role="director").order_by("id").first()
    browsers = {}
    for who, m in (("clinician", clinician), ("director", director)):
        b = Client()
        user = User.objects.get(pk=m.user_id)
        b.force_login(user)
        force_login_verified(b, user)
        browsers[who] = b
    page = browsers["clinician"].get("/clients/").content.decode()
    client_url = sorted(set(re.findall(r'href="(/clients/[0-9a-f-]{36}/)"', page)))[0]
    pages = {
        "inbox (clinician)": ("clinician", "/"),
        "client list (clinician)": ("clinician", "/clients/"),
        "client page (clinician)": ("clinician", client_url),
        "inbox (director)": ("director", "/"),
        "client list (director, page 40)": ("director", "/clients/?page=40"),
        "practice page (director)": ("director", "/practice/"),
    }
    for who, path in pages.values():  # warm imports and caches
        r = browsers[who].get(path)
        assert r.status_code == 200, (path, r.status_code)

    def one(name, keep=False):
        who, path = pages[name]
        if args.cold:
            clear_caches()
        q = Queries(keep)
        c0, t0 = time.process_time(), time.perf_counter()
        with connection.execute_wrapper(q):
            r = browsers[who].get(path)
        cpu, wall = time.process_time() - c0, time.perf_counter() - t0
        assert r.status_code == 200, (path, r.status_code)
        return cpu, wall, q

    if args.explain:
        name = next(n for n in pages if n.startswith(args.explain))
        _, _, q = one(name, keep=True)
        with connection.cursor() as cur:
            for sql, params in q.sql:
                if not sql.lstrip().upper().startswith("SELECT"):
                    print("--", sql[:200], "\n")
                    continue
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                plan = [r[0] for r in cur.fetchall()]
                print("--", sql[:300])
                print("\n".join(plan[:12] + [plan[-1]]), "\n")
        return

    if args.profile:
        from pyinstrument import Profiler

        name = next(n for n in pages if n.startswith(args.profile))
        prof = Profiler(interval=0.0005)
        prof.start()
        for _ in range(args.requests):
            one(name)
        prof.stop()
        print(prof.output_text(unicode=False, color=False, show_all=False))
        return

    got = {name: [] for name in pages}
    for _ in range(args.requests):
        for name in pages:
            got[name].append(one(name))
    code = os.getenv("PYTHONPATH") or str(ROOT)
    print(f"one request at a time, {'caches emptied before each' if args.cold else 'caches warm'}, "
          f"code {code}, {args.requests} each:")
    for name, runs in got.items():
        cpu = statistics.median(r[0] for r in runs) * 1000
        wall = statistics.median(r[1] for r in runs) * 1000
        sql = statistics.median(r[2].seconds for r in runs) * 1000
        n = statistics.median(r[2].n for r in runs)
        print(f"  {name:<32} CPU {cpu:6.1f} ms  wall {wall:6.1f} ms  {n:4.0f} queries  SQL {sql:6.1f} ms")
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
