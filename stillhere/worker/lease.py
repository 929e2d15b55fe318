"""At most one worker acts at a time: a lease row claimed by conditional UPDATE.

A worker takes the lease only if it holds it already or the holder's time
ran out; the UPDATE's WHERE clause decides, so two machines asking at the
same moment cannot both win, on SQLite or PostgreSQL. The holder renews it
well before it lapses (a heartbeat thread while a long scan runs), and gives
it up on a clean stop so the standby takes over at once. A worker that dies
holding it is replaced when `ttl` has passed.

Times are the machines' real clocks, never a rehearsal's moved clock: two
machines kept in step by NTP agree to well within the lease's length.
"""

import os
import socket
import threading
import uuid
from datetime import timedelta

from django.db import IntegrityError, OperationalError, close_old_connections, connection, transaction
from django.db.models import Q
from django.utils import timezone

from .models import Lease

NAME = "worker"
TTL = timedelta(seconds=60)


def holder_id() -> str:
    """Names the process, not a person: host, pid and a random tail."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def claim(holder: str, ttl: timedelta = TTL, name: str = NAME) -> bool:
    """Take or renew the lease; True if `holder` holds it now."""
    now = timezone.now()
    if not Lease.objects.filter(name=name).exists():
        try:
            with transaction.atomic():
                Lease.objects.create(name=name)
        except IntegrityError:
            pass  # another worker created it first
    free = Q(holder=holder) | Q(expires=None) | Q(expires__lt=now)
    taken = Lease.objects.filter(free, name=name).exclude(holder=holder).update(
        holder=holder, expires=now + ttl, since=now)
    if taken:
        return True
    return Lease.objects.filter(name=name, holder=holder).update(expires=now + ttl) == 1


def release(holder: str, name: str = NAME) -> None:
    """Give the lease up (a clean stop), only if it is still ours."""
    Lease.objects.filter(name=name, holder=holder).update(holder="", expires=None, since=None)


def current(name: str = NAME) -> Lease | None:
    return Lease.objects.filter(name=name).first()


class Heartbeat:
    """Renews the lease every third of its length while a job runs, in its
    own thread (with its own database connection), so a scan longer than the
    lease does not hand the install to the standby halfway through. `lost`
    is set if a renewal ever finds the lease gone."""

    def __init__(self, holder: str, ttl: timedelta = TTL):
        self.holder, self.ttl = holder, ttl
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lease-heartbeat", daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _run(self):
        try:
            while not self._stop.wait(self.ttl.total_seconds() / 3):
                close_old_connections()
                try:
                    held = claim(self.holder, self.ttl)
                except OperationalError:
                    continue   # SQLite busy with the job's own writes: the next beat will do
                if not held:
                    self.lost.set()
                    return
        finally:
            connection.close()
