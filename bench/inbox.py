"""Benchmark: the pages a 50-clinician practice waits on (about 5,000
clients in therapy, 200k appointments), under 45 clinicians and 5 directors
at once, served by `stillhere serve` (gunicorn, DEBUG off) on PostgreSQL.

    .venv/bin/python bench/inbox.py [--seconds 60] [--rounds 6] [--clinicians 45] [--directors 5]
                                   [--think 1] [--port 8250] [--baseline-code DIR] [--closed]

The practice is simulated, loaded, scanned and ticked once into its own
database (BENCH_INBOX_URL, default stillhere_bench_inbox on the local
server) and kept between runs; five clinical directors are added to it.
Each connection signs in through the real sign-in form (a director through
the second step too, with a recovery code) and then asks for its pages in
turn, waiting a random think time (exponential, mean 1 s) between requests:
a clinician its inbox, a page of its client list and one of its clients'
pages; a director the same and the practice page. p50/p95/p99 and errors
are printed per page. Any answer other than 200 is an error.

Beside it, in the same run and against the same server: the inbox alone
under 50 paced clinicians (the load the inbox's p95 was first measured
under), and the sign-in page under the same paced load (a page that reads
nothing: the floor of the stack itself on this machine). With
`--baseline-code DIR` (a checkout of the previous code, e.g. `git worktree
add /tmp/before main`), a second server runs that code on the same
database, everyone signs in to both, and the mixed load is cut into slices
taken in turn on each (`--rounds`), so that whatever else the machine is
doing falls on both alike. `--closed` adds the closed loop (no pause: the
server's ceiling).
"""

import argparse
import http.client
import io
import json
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
DIRECTORS = 5
CODE_LINE = "DIRECTOR-CODES "


def env(code: Path = ROOT) -> dict:
    out = {**os.environ, "DATABASE_URL": DB_URL, "DJANGO_SETTINGS_MODULE": "stillhere.settings",
           "DB_CONN_MAX_AGE": "600", "DEBUG": "False"}
    if code != ROOT:  # serve another checkout's code: it comes first on the path
        out["PYTHONPATH"] = str(code)
    return out


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
    a child with the bench database in its environment); add the directors
    and give each a fresh recovery code for the second step."""
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

    from stillhere.accounts.models import Membership, Practice
    from stillhere.clients.models import Appointment, Episode
    from stillhere.security.testing import enrol
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
    User = get_user_model()
    for i in range(1, DIRECTORS + 1):
        user, _ = User.objects.get_or_create(username=f"bench-director-{i}",
                                             defaults={"first_name": "Director", "last_name": str(i)})
        Membership.objects.get_or_create(practice=practice, user=user, role=Membership.Role.DIRECTOR)
    users = User.objects.filter(memberships__practice=practice)
    users.update(password=make_password(PASSWORD))
    codes = {}
    for user in User.objects.filter(memberships__practice=practice, memberships__role=Membership.Role.DIRECTOR):
        enrol(user)
        StaticDevice.objects.filter(user=user).delete()
        device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
        codes[user.username] = [StaticToken.random_token() for _ in range(4)]
        StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes[user.username]])
    open_eps = Episode.objects.filter(practice=practice, ended__isnull=True).count()
    clinicians = users.filter(memberships__role=Membership.Role.CLINICIAN)
    print(f"{clinicians.count()} clinicians, {len(codes)} directors, {open_eps:,} open episodes, "
          f"{Appointment.objects.filter(practice=practice).count():,} appointments", flush=True)
    print(CODE_LINE + json.dumps(codes), flush=True)


def run_setup() -> dict[str, list[str]]:
    """The setup child; returns each director's one-time recovery codes."""
    out = subprocess.run([sys.executable, __file__, "--_setup"], check=True, env=env(), cwd=ROOT,
                         capture_output=True, text=True)
    codes = {}
    for line in out.stdout.splitlines():
        if line.startswith(CODE_LINE):
            codes = json.loads(line[len(CODE_LINE):])
        else:
            print(line, flush=True)
    return codes


def usernames() -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", "import django; django.setup();"
         "from stillhere.accounts.models import Membership as M;"
         f"print('\\n'.join(M.objects.filter(practice__slug='{SLUG}', role='clinician')"
         ".order_by('id').values_list('user__username', flat=True)))"],
        check=True, env=env(), cwd=ROOT, capture_output=True, text=True)
    return out.stdout.split()


def start_server(port: int, workers: int, threads: int, code: Path = ROOT) -> subprocess.Popen:
    """`stillhere serve`, as a practice runs it (production settings, DEBUG off)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "stillhere.cli", "serve", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--threads", str(threads)],
        env=env(code), cwd=code, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            if proc.poll() is not None:
                raise SystemExit("stillhere serve stopped: " + proc.stderr.read().decode()[-2000:])
            time.sleep(0.1)
    raise SystemExit("stillhere serve did not start")


def stop_server(proc: subprocess.Popen) -> None:
    """SIGTERM (gunicorn finishes the requests in hand), then SIGKILL if it
    has not stopped in a minute (a loaded machine)."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
    except ProcessLookupError:
        pass


class Browser:
    """One person's connection: cookies kept, CSRF token sent with a form."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.con = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.fresh = True
        self.reconnects = 0  # idle connections the server had closed, asked again on a new one

    def header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def ask(self, method: str, path: str, form: dict | None = None):
        headers = {"Cookie": self.header()}
        body = None
        if form is not None:
            body = urlencode({**form, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")})
            headers.update({"Content-Type": "application/x-www-form-urlencoded",
                            "Referer": f"http://127.0.0.1:{self.port}{path}"})
        try:
            r, text = self._send(method, path, body, headers)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            if self.fresh:
                raise
            # The server closed a connection left idle past its keep-alive
            # (gunicorn's 2 s): as a browser does, ask again on a new one.
            self.reconnect()
            self.reconnects += 1
            r, text = self._send(method, path, body, headers)
        for c in r.headers.get_all("Set-Cookie") or []:
            k, v = c.split("=", 1)
            self.cookies[k] = v.split(";")[0]
        if r.getheader("Connection", "").lower() == "close":
            self.reconnect()
        return r.status, r.getheader("Location", ""), text

    def _send(self, method, path, body, headers):
        self.con.request(method, path, body, headers)
        r = self.con.getresponse()
        text = r.read().decode()
        self.fresh = False
        return r, text

    def reconnect(self):
        self.con.close()
        self.con = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        self.fresh = True

    def sign_in(self, username: str, recovery_code: str | None = None) -> None:
        """The sign-in form like a person; a director then the second step."""
        self.ask("GET", "/login/")
        status, where, _ = self.ask("POST", "/login/", {"username": username, "password": PASSWORD})
        if status != 302 or "sessionid" not in self.cookies:
            raise SystemExit(f"sign-in failed for {username}: {status}")
        status, where, _ = self.ask("GET", where or "/")
        if status == 302 and "two-step" in where:
            if recovery_code is None:
                raise SystemExit(f"{username} is asked for the second step and has no code")
            self.ask("GET", where)
            status, where, _ = self.ask("POST", "/login/two-step/", {"code": recovery_code})
            if status != 302 or "two-step" in where or "login" in where:
                raise SystemExit(f"second step failed for {username}: {status} {where}")


CLIENT_LINK = re.compile(r'href="(/clients/[0-9a-f-]{36}/)"')
PAGE_LINK = re.compile(r'href="\?page=(\d+)"')


class Person:
    """A signed-in connection and the pages it asks for in turn."""

    def __init__(self, port: int, username: str, director: bool, recovery_code: str | None = None):
        self.browser = Browser(port)
        self.browser.sign_in(username, recovery_code)
        self.director = director
        status, _, page = self.browser.ask("GET", "/clients/")
        if status != 200:
            raise SystemExit(f"client list for {username}: {status} {_}")
        # What a person would click: the clients on the list's first page,
        # and the list's other pages (none, on code without pages).
        self.clients = sorted(set(CLIENT_LINK.findall(page)))
        self.list_pages = sorted({1, *map(int, PAGE_LINK.findall(page))})
        if not self.clients:
            raise SystemExit(f"{username} sees no clients")
        self.rng = random.Random(username)

    def mix(self) -> list[str]:
        return ["inbox", "client list", "client page"] + (["practice page"] if self.director else [])

    def path(self, page: str) -> str:
        if page == "inbox":
            return "/"
        if page == "client list":
            n = self.rng.choice(self.list_pages)
            return "/clients/" if n == 1 else f"/clients/?page={n}"
        if page == "client page":
            return self.rng.choice(self.clients)
        if page == "practice page":
            return "/practice/"
        return page  # a plain path


def load(people: list[Person], seconds: float, think: float = 0.0, only: str | None = None,
         into: dict | None = None) -> dict:
    """Each person asks for the next page of its mix (or always `only`),
    reads the answer, waits a random think time (exponential, mean `think`;
    none for a closed loop) and asks again, for `seconds`. Adds, per page,
    the latencies (ms) and errors to `into` (returned), and the wall time."""
    into = {} if into is None else into
    lock = threading.Lock()
    stop = time.perf_counter() + seconds
    start_gate = threading.Barrier(len(people))

    def run(person: Person):
        mine: dict[str, tuple[list, list]] = {}
        pages = [only] if only else person.mix()
        i = person.rng.randrange(len(pages))
        start_gate.wait()
        if think:
            time.sleep(person.rng.uniform(0, think))  # do not all start at once
        while time.perf_counter() < stop:
            page = pages[i % len(pages)]
            i += 1
            lat, bad = mine.setdefault(page, ([], []))
            t = time.perf_counter()
            try:
                status, _, _ = person.browser.ask("GET", person.path(page))
                if status != 200:
                    bad.append(status)
            except Exception as e:  # noqa: BLE001 - any failure is an error of this request, counted
                bad.append(type(e).__name__)
                person.browser.reconnect()
            lat.append((time.perf_counter() - t) * 1000)
            if think:
                time.sleep(person.rng.expovariate(1 / think))
        with lock:
            for page, (lat, bad) in mine.items():
                r = into.setdefault(page, {"ms": [], "errors": []})
                r["ms"].extend(lat)
                r["errors"].extend(bad)

    threads = [threading.Thread(target=run, args=(p,)) for p in people]
    t0 = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    into["_wall"] = into.get("_wall", 0.0) + time.perf_counter() - t0
    return into


def summary(raw: dict) -> dict:
    """p50/p95/p99, rate and errors per page of what `load` gathered."""
    out = {}
    for page, r in raw.items():
        if page == "_wall":
            continue
        ms = sorted(r["ms"])
        q = statistics.quantiles(ms, n=100) if len(ms) > 1 else ms * 99
        out[page] = {"n": len(ms), "errors": len(r["errors"]), "rps": len(ms) / raw["_wall"], "p50": q[49],
                     "p95": q[94], "p99": q[98], "error_kinds": sorted(set(map(str, r["errors"])))[:5]}
    return out


def line(label: str, r: dict) -> str:
    return (f"{label:<40} {r['n']:>6,} req {r['rps']:>6.1f}/s  p50 {r['p50']:7.1f} ms  "
            f"p95 {r['p95']:7.1f} ms  p99 {r['p99']:7.1f} ms  errors {r['errors']}"
            + (f" {r['error_kinds']}" if r["errors"] else ""))


PAGES = ("inbox", "client list", "client page", "practice page")


class Server:
    """One `stillhere serve` on `code`, with everyone signed in to it."""

    def __init__(self, code: Path, port: int, args, names: list[str], codes: dict[str, list[str]], which: int):
        self.code, self.proc = code, start_server(port, args.workers, args.threads, code)
        n = args.clinicians
        self.clinicians = [Person(port, names[i % len(names)], False) for i in range(n)]
        self.directors = [Person(port, d, True, c[which]) for d, c in list(codes.items())[:args.directors]]
        # The inbox alone is asked of as many clinicians as there are connections.
        self.inbox_people = self.clinicians + [Person(port, names[(n + i) % len(names)], False)
                                               for i in range(args.directors)]
        self.people = self.clinicians + self.directors
        self.raw = {"mixed": {}, "inbox alone": {}, "sign-in page": {}, "closed": {}}

    def stop(self):
        stop_server(self.proc)


def measure(servers: list[Server], args) -> None:
    """The loads, in slices taken in turn on each server, so that whatever
    else the machine is doing falls on each alike."""
    for server in servers:  # warm up: every worker meets every person's pages
        load(server.people * 2, args.warm_up)
    for _ in range(args.rounds):
        for server in servers:
            load(server.people, args.seconds / args.rounds, args.think, into=server.raw["mixed"])
    for server in servers:
        load(server.inbox_people, args.seconds / 2, args.think, only="inbox", into=server.raw["inbox alone"])
        load(server.people, args.seconds / 2, args.think, only="/login/", into=server.raw["sign-in page"])
        if args.closed:
            load(server.people, args.seconds / 2, into=server.raw["closed"])


def report(label: str, server: Server, args) -> dict:
    got = {k: summary(v) for k, v in server.raw.items() if v}
    n = args.clinicians + args.directors
    print(f"{label}: {args.clinicians} clinicians + {args.directors} directors, paced (~{args.think:g} s think), "
          f"{args.seconds:g} s in {args.rounds} slices")
    for page in PAGES:
        if page in got["mixed"]:
            print("  " + line(page, got["mixed"][page]))
    print("  " + line(f"inbox alone, {n} clinicians paced", got["inbox alone"]["inbox"]))
    print("  " + line(f"sign-in page (no data), {n} paced", got["sign-in page"]["/login/"]))
    for page in PAGES:
        if page in got.get("closed", {}):
            print("  " + line(f"{page}, closed loop", got["closed"][page]))
    reconnects = sum(p.browser.reconnects for p in server.people + server.inbox_people)
    print(f"  ({reconnects} requests asked again on a new connection after the server closed an idle one)")
    return got


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=60, help="of the mixed load, per server")
    ap.add_argument("--rounds", type=int, default=6, help="slices the mixed load is cut into, in turn per server")
    ap.add_argument("--clinicians", type=int, default=45)
    ap.add_argument("--directors", type=int, default=DIRECTORS)
    ap.add_argument("--workers", type=int, default=2)   # one per core
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--port", type=int, default=int(os.getenv("BENCH_PORT", "8250")),
                    help="this code's server; the previous code's the next port")
    ap.add_argument("--think", type=float, default=1.0, help="mean seconds between one connection's requests")
    ap.add_argument("--baseline-code", type=Path, help="a checkout of the previous code, served beside")
    ap.add_argument("--closed", action="store_true", help="also the closed loop (no pause)")
    ap.add_argument("--warm-up", type=float, default=8, help="seconds of closed loop on each server first")
    ap.add_argument("--setup-only", action="store_true")
    args = ap.parse_args()

    ensure_database()
    codes = run_setup()
    if args.setup_only:
        return
    names = usernames()
    print(f"stillhere serve ({args.workers} workers x {args.threads} threads, DEBUG off) on PostgreSQL; "
          f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
    servers = [Server(ROOT, args.port, args, names, codes, 0)]
    try:
        if args.baseline_code:
            servers.append(Server(args.baseline_code.resolve(), args.port + 1, args, names, codes, 1))
        measure(servers, args)
        now = report("this code", servers[0], args)
        before = report(f"previous code ({args.baseline_code})", servers[1], args) if args.baseline_code else None
    finally:
        for server in servers:
            server.stop()
    floor = now["sign-in page"]["/login/"]["p95"]
    print("per page, p95 (target 300 ms), and against the sign-in page's p95 in the same run"
          + (" and the previous code's, measured in turn with it" if before else "") + ":")
    for page in PAGES:
        r = now["mixed"].get(page)
        if not r:
            continue
        extra = ""
        if before and page in before["mixed"]:
            b = before["mixed"][page]
            extra = f"; previous code p95 {b['p95']:.0f} ms ({b['p95'] / r['p95']:.1f}x this code's), errors {b['errors']}"
        print(f"  {page:<14} p95 {r['p95']:6.0f} ms {'met' if r['p95'] <= 300 else 'NOT met':<7} "
              f"{r['p95'] / floor:5.1f}x the sign-in page, errors {r['errors']}{extra}")
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    if sys.argv[1:] == ["--_setup"]:
        setup()
    else:
        main()
