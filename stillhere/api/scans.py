"""/scans: start a scan of the practice (states and risks), poll until done.

The scan runs in a thread, as web imports do: stillhere has no task
queue, and the caller polls. One scan per practice at a time.
"""

import logging
import threading
from datetime import timedelta
from uuid import UUID

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import close_old_connections, connection, transaction
from django.http import Http404
from django.utils import timezone
from ninja import Router
from ninja.responses import Status

from stillhere.audit.events import ScanStarted, record
from stillhere.engagement.morning import morning_run

from .errors import COMMON, ApiError
from .idempotency import idempotent
from .models import ScanRun
from .schemas import ScanOut

router = Router(tags=["scan"])
log = logging.getLogger(__name__)


def _out(run) -> dict:
    return {"id": run.code, "status": run.status, "episodes": run.episodes, "changes": run.changes,
            "created": run.created, "finished": run.finished}


def _scanner(m):
    if not m.sees_whole_practice:
        raise PermissionDenied("Only a practice admin or clinical director can start a scan.")


def execute(pk: int) -> None:
    run = ScanRun.objects.select_related("practice").get(pk=pk)
    try:
        # The whole morning run, as `stillhere scan` does: refit if due, scan, reminders.
        outcome = morning_run(run.practice, timezone.now()).scan
        run.status, run.episodes, run.changes = ScanRun.Status.DONE, len(outcome), outcome.changes
    except Exception as e:  # recorded on the run; the traceback without values goes to the log
        log.error("API scan failed with %s", e.__class__.__name__, exc_info=False)
        run.status = ScanRun.Status.FAILED
    run.finished = timezone.now()
    run.save(update_fields=["status", "episodes", "changes", "finished"])


def _in_thread(pk):
    close_old_connections()
    try:
        execute(pk)
    finally:
        connection.close()


def start(run) -> None:
    if getattr(settings, "API_SCAN_INLINE", False):
        execute(run.pk)
    else:
        threading.Thread(target=_in_thread, args=(run.pk,), daemon=True).start()


@router.post("/scans", response={202: ScanOut, **COMMON}, summary="Start a scan of your practice")
@idempotent
def start_scan(request):
    m = request.membership
    _scanner(m)
    # A run left "running" by a server that died does not block for ever.
    recent = timezone.now() - timedelta(hours=1)
    if ScanRun.objects.filter(practice=m.practice, status=ScanRun.Status.RUNNING, created__gte=recent).exists():
        raise ApiError(409, "in_progress", "A scan of your practice is already running; poll it until it is done.")
    run = ScanRun.objects.create(practice=m.practice, created_by=request.user)
    record(ScanStarted(practice=m.practice, actor=request.user, run=run))
    transaction.on_commit(lambda: start(run))
    return Status(202, ScanOut(**_out(run)))


@router.get("/scans/{code}", response={200: ScanOut, **COMMON}, summary="A scan's progress")
def get_scan(request, code: UUID):
    m = request.membership
    _scanner(m)
    run = ScanRun.objects.filter(code=code, practice=m.practice).first()
    if run is None:
        raise Http404("No such scan.")
    return _out(run)
