"""The worker's loop: hold the lease, run what is due, sleep to the next minute.

A worker that does not hold the lease stands by and asks again each round;
the one that does renews it every round and, while a job runs, from a
heartbeat thread. On SIGINT/SIGTERM it finishes the job in hand, gives the
lease up (so the standby takes over within a round) and exits.
"""

from datetime import timedelta

from django.db import close_old_connections

from stillhere.lib.stopping import StopRequest, sleep_unless_stopped

from . import jobs, lease


def run(clock, stop: StopRequest, say, holder: str | None = None, ttl: timedelta = lease.TTL) -> None:
    holder = holder or lease.holder_id()
    role = None   # "acting" or "standing by", said once each time it changes
    try:
        while not stop:
            close_old_connections()
            if lease.claim(holder, ttl):
                if role != "acting":
                    say(_stamp(clock, "holding the lease: running the jobs"))
                    jobs.abandon_unfinished(holder)
                role = "acting"
                _run_due(clock, stop, say, holder, ttl)
            elif role != "standing by":
                say(_stamp(clock, "another worker holds the lease: standing by"))
                role = "standing by"
            sleep_unless_stopped(_pause(clock, ttl), stop)
    finally:
        if role == "acting":
            lease.release(holder)
            say(_stamp(clock, "stopped; lease given up"))
        else:
            say(_stamp(clock, "stopped"))


def _run_due(clock, stop, say, holder, ttl) -> None:
    with lease.Heartbeat(holder, ttl) as beat:
        for due in jobs.due_now(clock.now()):
            if stop or beat.lost.is_set():
                return
            run = jobs.claim(due, holder, clock.now())
            if run is not None:
                say(_stamp(clock, jobs.execute(due, run, clock, lambda: bool(stop) or beat.lost.is_set())))


def _pause(clock, ttl) -> float:
    """Real seconds until just past the clock's next minute, and never
    longer than a third of the lease, so it is renewed in good time."""
    now = clock.now()
    next_minute = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return min(clock.real_seconds_until(next_minute) + 0.05, ttl.total_seconds() / 3)


def _stamp(clock, line: str) -> str:
    return f"{clock.now():%Y-%m-%dT%H:%M:%SZ} worker {line}"
