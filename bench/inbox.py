"""Benchmark: the Needs attention inbox for a 50-clinician practice (about
5,000 clients in therapy, 200k appointments) under 50 concurrent
connections, served by gunicorn on PostgreSQL.

    .venv/bin/python bench/inbox.py [--seconds 20] [--connections 50] [--workers 2] [--threads 8] [--think 1]

The practice is simulated, loaded, scanned and ticked once into its own
database (BENCH_INBOX_URL, default stillhere_bench_inbox on the local
server) and kept between runs. Each of the 50 connections signs in as one
of the 50 clinicians (through the real login form) and asks for its home
page again and again. Two loads are measured: paced (each connection waits
a random think time, mean 1 s, between requests: 50 clinicians with the
inbox open and busy) and a closed loop (no pause at all: the server's ceiling). In the same process
and against the same server, baselines run beside them: the same loads on
the client list (`/clients/`, a plain list of the same caseload), the inbox
over one connection (its latency with no queueing), and the sign-in page (a
page that reads nothing: the ceiling of the stack itself on this machine).
Any non-200 answer is an error.
"""

import argparse
import http.client
import io
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path
from urllib.parse import urlencode, urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB_URL = os.getenv("BENCH_INBOX_URL", "postgres://postgres@127.0.0.1:5432/stillhere_bench_inbox")
SLUG = "bench-inbox"
PASSWORD = "bench-password-1"
# 14,500 clients over five years, a third starting recently: about 5,300
# open episodes and 200k appointments with 50 clinicians.
CLIENTS, YEARS, RECENT, CLINICIANS = 14_500, 5.0, 0.32, 50


def env() -> dict:
    return {**os.environ, "DATABASE_URL": DB_URL, "DJANGO_SETTINGS_MODULE": "stillhere.settings",
            "DB_CONN_MAX_AGE": "600", "DEBUG": "False"}


def ensure_database() -> None:
    import psycopg

    url = urlparse(DB_URL)
    name = url.path.lstrip("/")
    admin = DB_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as con:
        if not con.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            con.execute(f'CREATE DATABASE "{name}"')
    subprocess.run([sys.executable, "-m", "stillhere.cli", "migrate", "-v", "0"], check=True, env=env(), cwd=ROOT)


def setup() -> None:
    """Simulate, load, scan and tick once (in this process, which is run as
    a child with the bench database in its environment)."""
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from stillhere.accounts.models import Membership, Practice
    from stillhere.clients.models import Appointment, Episode
    from stillhere.simulator.generate import simulate
    from stillhere.simulator.load import load_simulation
    from stillhere.simulator.params import SimParams

    if not Practice.objects.filter(slug=SLUG).exists():
        t = time.perf_counter()
        sim = simulate(CLIENTS, seed=11, as_of=date.today(), n_clinicians=CLINICIANS,
                       params=SimParams(years=YEARS), recent_share=RECENT)
        load_simulation(sim, slug=SLUG, name="Bench Practice")
        print(f"loaded in {time.perf_counter() - t:.0f} s", flush=True)
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
        quiet = io.StringIO()
        call_command("scan", practice=SLUG, stdout=quiet, stderr=quiet)
        call_command("tick", stdout=quiet, stderr=quiet)
    practice = Practice.objects.get(slug=SLUG)
    users = get_user_model().objects.filter(memberships__practice=practice,
                                            memberships__role=Membership.Role.CLINICIAN)
    users.update(password=make_password(PASSWORD))
    open_eps = Episode.objects.filter(practice=practice, ended__isnull=True).count()
    print(f"{users.count()} clinicians, {open_eps:,} open episodes, "
          f"{Appointment.objects.filter(practice=practice).count():,} appointments", flush=True)


def usernames() -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", "import django; django.setup();"
         "from stillhere.accounts.models import Membership as M;"
         f"print('\\n'.join(M.objects.filter(practice__slug='{SLUG}', role='clinician')"
         ".order_by('id').values_list('user__username', flat=True)))"],
        check=True, env=env(), cwd=ROOT, capture_output=True, text=True)
    return out.stdout.split()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, workers: int, threads: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "stillhere.wsgi", "-b", f"127.0.0.1:{port}",
         "-w", str(workers), "-k", "gthread", "--threads", str(threads), "--backlog", "512", "--keep-alive", "75", "--reuse-port",
         "--log-level", "warning"],
        env=env(), cwd=ROOT, start_new_session=True)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    raise SystemExit("gunicorn did not start")


def login(port: int, username: str) -> str:
    """Sign in through the form like a person; returns the Cookie header."""
    con = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    con.request("GET", "/login/")
    r = con.getresponse()
    page = r.read().decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    cookies = {c.split("=", 1)[0]: c.split("=", 1)[1].split(";")[0] for c in r.headers.get_all("Set-Cookie")}
    body = urlencode({"username": username, "password": PASSWORD, "csrfmiddlewaretoken": csrf})
    con.request("POST", "/login/", body, {"Content-Type": "application/x-www-form-urlencoded",
                                         "Cookie": f"csrftoken={cookies['csrftoken']}",
                                         "Referer": f"http://127.0.0.1:{port}/login/"})
    r = con.getresponse()
    r.read()
    for c in r.headers.get_all("Set-Cookie") or []:
        k, v = c.split("=", 1)
        cookies[k] = v.split(";")[0]
    if r.status != 302 or "sessionid" not in cookies:
        raise SystemExit(f"login failed for {username}: {r.status}")
    con.close()
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


def load(port: int, path: str, cookies: list[str], seconds: float, think: float = 0.0) -> dict:
    """Each connection asks, reads the answer, waits a random think time
    (exponential, mean `think`; none for a closed loop) and asks again."""
    latencies: list[float] = []
    errors = []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds
    start_gate = threading.Barrier(len(cookies))

    def run(cookie):
        con = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, bad = [], []
        rng = random.Random(cookie)
        start_gate.wait()
        if think:
            time.sleep(rng.uniform(0, think))  # do not all start at once
        while time.perf_counter() < stop:
            t = time.perf_counter()
            try:
                con.request("GET", path, headers={"Cookie": cookie})
                r = con.getresponse()
                r.read()
                if r.status != 200:
                    bad.append(r.status)
                if r.getheader("Connection", "").lower() == "close":
                    con.close()
                    con = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            except (OSError, http.client.HTTPException) as e:
                bad.append(type(e).__name__)
                con.close()
                con = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            mine.append(time.perf_counter() - t)
            if think:
                time.sleep(rng.expovariate(1 / think))
        with lock:
            latencies.extend(mine)
            errors.extend(bad)

    threads = [threading.Thread(target=run, args=(c,)) for c in cookies]
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


def line(label: str, r: dict) -> str:
    return (f"{label:<34} {r['n']:>7,} requests {r['rps']:>7.1f}/s  p50 {r['p50']:6.1f} ms  "
            f"p95 {r['p95']:6.1f} ms  p99 {r['p99']:6.1f} ms  errors {r['errors']}"
            + (f" {r['error_kinds']}" if r["errors"] else ""))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--workers", type=int, default=2)   # one per core
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--think", type=float, default=1.0, help="mean seconds between one connection's requests")
    ap.add_argument("--setup-only", action="store_true")
    args = ap.parse_args()

    ensure_database()
    subprocess.run([sys.executable, __file__, "--_setup"], check=True, env=env(), cwd=ROOT)
    if args.setup_only:
        return
    names = usernames()
    port = free_port()
    server = start_server(port, args.workers, args.threads)
    try:
        cookies = [login(port, names[i % len(names)]) for i in range(args.connections)]
        # Warm up: several connections per clinician, so that every worker
        # has met every clinician (connections stick to the worker that took them).
        load(port, "/", cookies * 4, 6)
        paced = load(port, "/", cookies, args.seconds, args.think)
        paced_list = load(port, "/clients/", cookies, args.seconds, args.think)
        closed = load(port, "/", cookies, args.seconds)
        closed_list = load(port, "/clients/", cookies, args.seconds)
        single = load(port, "/", cookies[:1], args.seconds / 2)
        empty = load(port, "/login/", cookies, args.seconds / 2)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(10)
    n = args.connections
    print(f"gunicorn gthread {args.workers}x{args.threads} on PostgreSQL, {len(names)} clinicians, {n} connections, "
          f"{args.seconds:g} s per run; paced: each connection asks again after ~{args.think:g} s")
    print(line(f"inbox /, {n} conn. paced", paced))
    print(line(f"client list /clients/, {n} conn. paced", paced_list))
    print(line(f"inbox /, {n} conn. closed loop", closed))
    print(line(f"client list, {n} conn. closed loop", closed_list))
    print(line("inbox /, 1 connection", single))
    print(line(f"sign-in page (no data), {n} conn. closed", empty))
    print(f"inbox p95 {paced['p95']:.0f} ms paced (target 150 ms), {paced['p95'] / paced_list['p95']:.2f}x the client "
          f"list's under the same load; closed loop {closed['rps']:.0f} req/s, "
          f"{closed['rps'] / closed_list['rps']:.1f}x the client list's throughput and "
          f"{closed['rps'] / empty['rps']:.0%} of an empty page's on the same server")


if __name__ == "__main__":
    if sys.argv[1:] == ["--_setup"]:
        setup()
    else:
        main()
