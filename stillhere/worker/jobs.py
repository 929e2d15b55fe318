"""The worker's jobs, when each is due, and running one slot exactly once.

- housekeeping, once a day for the whole install: expired sign-in sessions
  removed, the worker's own run records kept for RETENTION only, and risk
  score history kept for SCORE_HISTORY_DAYS (risk/history.py);
- the morning scan, once a day per practice, at or after the practice's
  `morning_scan_at` in its own zone (a worker started later that day
  catches up at once);
- the outreach tick, every minute (it also escalates overdue safety checks
  and returns stale claims to the queue: whatever the tick does).

Each run is claimed by inserting its Run row: the unique (job, scope, slot)
lets one worker through, even if two ever acted at once. A run records
counts and seconds, never a client's name or detail.
"""

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from django.contrib.sessions.models import Session
from django.db import IntegrityError, transaction
from django.utils import timezone

from stillhere.accounts.models import Practice

from .models import Run

RETENTION = timedelta(days=90)
MAX_ATTEMPTS = 3   # a failed daily job is tried again next minute, this many times in all


@dataclass(frozen=True)
class Due:
    job: str
    scope: str          # practice id, or "" for the install
    slot: str
    label: str          # what the log line calls it: a practice's slug, or ""
    practice: Practice | None = None


def due_now(now: datetime) -> list[Due]:
    """Jobs due at `now`, in the order they should run: the morning's scan
    before the tick, so the tick acts on its changes straight away."""
    utc = now.astimezone(dt_timezone.utc)
    due = [Due(Run.Job.HOUSEKEEPING, "", utc.date().isoformat(), "")]
    for practice in Practice.objects.order_by("id"):
        local = now.astimezone(practice.tz)
        if local.time() >= practice.morning_scan_at:
            due.append(Due(Run.Job.SCAN, str(practice.id), local.date().isoformat(), practice.slug, practice))
    due.append(Due(Run.Job.TICK, "", utc.strftime("%Y-%m-%dT%H:%M"), ""))
    return due


def claim(due: Due, worker: str, now: datetime) -> Run | None:
    """The Run row for this slot if this worker may run it now, else None.

    Looked up first: a daily slot already run is the usual case every
    minute after, and a refused INSERT would be an error in the database's log."""
    run = Run.objects.filter(job=due.job, scope=due.scope, slot=due.slot).first()
    if run is None:
        try:
            with transaction.atomic():
                return Run.objects.create(job=due.job, scope=due.scope, slot=due.slot, worker=worker, started=now)
        except IntegrityError:
            return None   # another worker, at this very moment
    if run.ok is not False or run.attempts >= MAX_ATTEMPTS or due.job == Run.Job.TICK:
        return None
    # A failed daily job: try again, if no other worker just did.
    if Run.objects.filter(pk=run.pk, ok=False, attempts=run.attempts).update(
            ok=None, attempts=run.attempts + 1, worker=worker, started=now, finished=None) != 1:
        return None
    run.refresh_from_db()
    return run


def abandon_unfinished(worker: str) -> int:
    """Runs another worker left unfinished: it lost the lease (it died, or
    stalled past the lease), so they will never finish. Marked failed, the
    daily ones are tried again."""
    return Run.objects.filter(ok=None).exclude(worker=worker).update(
        ok=False, summary="stopped before it finished")


def execute(due: Due, run: Run, clock, should_stop) -> str:
    """Run one job; returns the log line (counts only)."""
    t0 = time.monotonic()
    try:
        summary = RUNNERS[due.job](due, clock, should_stop)
        ok = True
    except Exception as e:  # noqa: BLE001 - recorded and logged by kind only: messages may quote data
        summary, ok = f"failed ({type(e).__name__}); see the worker's error output", False
        import traceback

        traceback.print_exc()
    secs = time.monotonic() - t0
    Run.objects.filter(pk=run.pk).update(ok=ok, summary=summary[:200], seconds=secs, finished=clock.now())
    name = " ".join(part for part in (due.job, due.label, due.slot) if part)
    return f"{name}: {summary} ({secs:.2f} s)"


def _tick(due, clock, should_stop) -> str:
    from stillhere.outreach.round import tick_round

    # The tick's own lines name steps; the worker logs one line of counts.
    n = tick_round(clock.now, should_stop=should_stop)
    return f"{n} unit{'s' if n != 1 else ''} of work"


def _scan(due, clock, should_stop) -> str:
    from stillhere.engagement.morning import morning_run

    # The same morning as `stillhere scan`: calibration refit if due, the scan, tomorrow's reminders.
    run = morning_run(due.practice, clock.now())
    changes, reminders = run.scan.changes, run.reminders
    return (f"{len(run.scan)} episodes, {changes} state change{'s' if changes != 1 else ''}, "
            f"{reminders} reminder{'s' if reminders != 1 else ''} offered")


def _housekeeping(due, clock, should_stop) -> str:
    from stillhere.risk.history import purge_history

    sessions, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    runs, _ = Run.objects.filter(started__lt=clock.now() - RETENTION).delete()
    scores, noshows = purge_history(clock.now())
    return (f"{sessions} expired sign-in session{'s' if sessions != 1 else ''} removed, {runs} old run records removed, "
            f"{scores + noshows} old risk score{'s' if scores + noshows != 1 else ''} removed")


RUNNERS = {Run.Job.TICK: _tick, Run.Job.SCAN: _scan, Run.Job.HOUSEKEEPING: _housekeeping}
