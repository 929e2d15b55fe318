"""Is the install alive? One JSON answer for monitoring, with no client data.

Served by the web app at /healthz and by `stillhere worker --health ADDR`,
from the same function: the database is reachable, a worker holds the lease,
when the last tick and the last morning scan finished, and how much work is
waiting (state changes the tick has not taken up, approved messages due).
"""

import json
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.db import connection
from django.utils import timezone

from .models import Run

# Longer than this without a finished tick, and something is wrong.
TICK_STALE_SECONDS = 5 * 60


def report() -> tuple[int, dict]:
    """(HTTP status, body): 200 when a worker holds the lease, else 503."""
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
    except Exception:  # noqa: BLE001 - any failure here means "unreachable"
        return 503, {"status": "database unreachable", "database": "unreachable"}
    from stillhere.engagement.models import StateChange
    from stillhere.outreach.models import OutreachStep

    from .lease import current

    now = timezone.now()
    lease = current()
    alive = bool(lease and lease.holder and lease.expires and lease.expires > now)
    tick = _last(Run.Job.TICK)
    scan = _last(Run.Job.SCAN)
    body = {
        "status": "ok" if alive else "no worker holds the lease",
        "database": "reachable",
        "worker": lease.holder if alive else None,
        "worker_since": _iso(lease.since) if alive else None,
        "last_tick": _iso(tick.finished) if tick else None,
        "last_tick_seconds": round(tick.seconds, 3) if tick and tick.seconds is not None else None,
        "last_scan": _iso(scan.finished) if scan else None,
        "failed_runs_last_day": Run.objects.filter(ok=False, finished__gte=now - timedelta(days=1)).count(),
        "queue_depth": StateChange.objects.filter(processed=None).count()
        + OutreachStep.objects.filter(status=OutreachStep.Status.APPROVED, due__lte=now).count(),
    }
    return (200 if alive else 503), body


def _last(job: str) -> Run | None:
    return Run.objects.filter(job=job, ok=True).order_by("-finished").first()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's name
        if self.path.split("?")[0] != "/healthz":
            self._send(404, {"status": "not found: ask /healthz"})
            return
        try:
            status, body = report()
        finally:
            connection.close()   # this request's thread owned the connection
        self._send(status, body)

    def _send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):   # one line per run is the worker's log; no per-probe noise
        pass


def serve_in_background(addr: str) -> ThreadingHTTPServer:
    """Start the health endpoint on HOST:PORT in a daemon thread."""
    host, _, port = addr.rpartition(":")
    server = ThreadingHTTPServer((host or "127.0.0.1", int(port)), _Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="healthz", daemon=True).start()
    return server
