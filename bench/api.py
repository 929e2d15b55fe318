"""Benchmark: the REST API for a 50-clinician practice (about 5,000 clients
in therapy, 200k appointments) under 20 concurrent connections, beside the
web inbox under the same load, served by gunicorn on PostgreSQL.

    .venv/bin/python bench/api.py [--seconds 20] [--connections 20] [--workers 2] [--threads 8]

The practice is bench/inbox.py's (simulated, loaded, scanned and ticked
once), in its own database (BENCH_API_URL, default stillhere_bench_api on
the local server), kept between runs. Each connection holds its own
service token with the director's role (an integration reading the whole
practice) and asks, with no pause between requests (a closed loop):
- a page of 50 clients, at a random place in the list (cursors collected
  by walking the whole list once first, which is timed too);
- the engagement of a random open episode (state, reasons, dropout risk,
  no-show risk of upcoming sessions).
The baseline, in the same process against the same server: the web inbox,
each connection signed in as one of the clinicians, under the same load.
Any non-200 answer is an error.
"""

import argparse
import http.client
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
import inbox  # noqa: E402  (bench/inbox.py: its practice, server and sign-in)

inbox.DB_URL = os.getenv("BENCH_API_URL", "postgres://postgres@127.0.0.1:5432/stillhere_bench_api")


def tokens(n: int) -> dict:
    """n service tokens (director) and the open episodes, made in a child with the bench database."""
    code = f"""
import django, json; django.setup()
from stillhere.accounts.models import Membership, Practice
from stillhere.api.models import ApiToken
from stillhere.api.pages import _service_member
p = Practice.objects.get(slug={inbox.SLUG!r})
admin = Membership.objects.filter(practice=p).first()
secrets = []
for i in range({n}):
    m = _service_member(admin, f"bench {{i}}", "director")
    secrets.append(ApiToken.issue(m, f"bench {{i}}", kind="service")[1])
eps = list(p.episodes.filter(ended__isnull=True).values_list("id", flat=True))
print(json.dumps({{"secrets": secrets, "episodes": eps}}))
"""
    out = subprocess.run([sys.executable, "-c", code], check=True, env=inbox.env(), cwd=ROOT,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def get(con, path, headers):
    con.request("GET", path, headers=headers)
    r = con.getresponse()
    return r.status, r.read(), r


def walk(port, secret) -> tuple[list[str], float, int]:
    """Every page of the client list once; returns the cursors, seconds and clients seen."""
    con = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    cursors, seen, t = [""], 0, time.perf_counter()
    while True:
        c = cursors[-1]
        status, body, _ = get(con, "/api/v1/clients?limit=50" + (f"&cursor={c}" if c else ""),
                              {"Authorization": f"Bearer {secret}"})
        assert status == 200, body[:300]
        page = json.loads(body)
        seen += len(page["items"])
        if not page["next_cursor"]:
            break
        cursors.append(page["next_cursor"])
    con.close()
    return cursors, time.perf_counter() - t, seen


def load(port, clients: list[tuple[dict, callable]], seconds: float) -> dict:
    """Each connection asks for its next path with its own headers as soon as the last answer is read."""
    latencies, errors, lock = [], [], threading.Lock()
    stop = time.perf_counter() + seconds
    gate = threading.Barrier(len(clients))

    def run(headers, next_path):
        con = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine, bad = [], []
        gate.wait()
        while time.perf_counter() < stop:
            t = time.perf_counter()
            try:
                status, _, r = get(con, next_path(), headers)
                if status != 200:
                    bad.append(status)
                if r.getheader("Connection", "").lower() == "close":
                    con.close()
                    con = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            except (OSError, http.client.HTTPException) as e:
                bad.append(type(e).__name__)
                con.close()
                con = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            mine.append(time.perf_counter() - t)
        with lock:
            latencies.extend(mine)
            errors.extend(bad)

    threads = [threading.Thread(target=run, args=c) for c in clients]
    t0 = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - t0
    ms = sorted(x * 1000 for x in latencies)
    q = statistics.quantiles(ms, n=100) if len(ms) > 1 else ms * 99
    return {"n": len(ms), "errors": len(errors), "rps": len(ms) / wall, "p50": q[49], "p95": q[94],
            "p99": q[98], "error_kinds": sorted(set(map(str, errors)))[:5]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--connections", type=int, default=20)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=8)
    args = ap.parse_args()
    n = args.connections

    inbox.ensure_database()
    subprocess.run([sys.executable, inbox.__file__, "--_setup"], check=True, env=inbox.env(), cwd=ROOT)
    made = tokens(n)
    names = inbox.usernames()
    os.environ["API_RATE_LIMIT"] = "1000000"  # the bench measures the server, not the limit
    port = inbox.free_port()
    server = inbox.start_server(port, args.workers, args.threads)
    try:
        # The first request imports every view; under load that outlasts a sign-in's timeout.
        urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=600).read()
        cookies = [inbox.login(port, names[i % len(names)]) for i in range(n)]
        cursors, walk_s, seen = walk(port, made["secrets"][0])
        rng = random.Random(16)
        eps = made["episodes"]
        bearer = [{"Authorization": f"Bearer {s}"} for s in made["secrets"]]

        def page():
            c = rng.choice(cursors)
            return "/api/v1/clients?limit=50" + (f"&cursor={c}" if c else "")

        def engagement():
            return f"/api/v1/episodes/{rng.choice(eps)}/engagement"

        load(port, [(h, page) for h in bearer] + [({"Cookie": c}, lambda: "/") for c in cookies], 6)  # warm up
        lists = load(port, [(h, page) for h in bearer], args.seconds)
        engaged = load(port, [(h, engagement) for h in bearer], args.seconds)
        web = load(port, [({"Cookie": c}, lambda: "/") for c in cookies], args.seconds)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:  # kept-alive connections under load can hold a graceful stop
            os.killpg(server.pid, signal.SIGKILL)
    print(f"gunicorn gthread {args.workers}x{args.threads} on PostgreSQL, {len(eps):,} open episodes, "
          f"{n} connections, closed loop, {args.seconds:g} s per run")
    print(f"walked the whole client list as a director's service token: {seen:,} clients in {len(cursors)} pages "
          f"of 50 in {walk_s:.1f} s, one connection")
    print(inbox.line(f"API client page (50), {n} conn.", lists))
    print(inbox.line(f"API episode engagement, {n} conn.", engaged))
    print(inbox.line(f"web inbox /, {n} conn. (baseline)", web))
    print(f"API p95: client page {lists['p95']:.0f} ms ({lists['p95'] / web['p95']:.2f}x the inbox's), engagement "
          f"{engaged['p95']:.0f} ms ({engaged['p95'] / web['p95']:.2f}x); throughput {lists['rps']:.0f} and "
          f"{engaged['rps']:.0f} req/s, {lists['rps'] / web['rps']:.1f}x and {engaged['rps'] / web['rps']:.1f}x "
          "the inbox's")


if __name__ == "__main__":
    main()
