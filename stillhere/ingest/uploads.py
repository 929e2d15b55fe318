"""Web imports: files kept privately until they are imported, a preview, and
the import itself in a background thread that reports progress to a file.

The thread is deliberate: stillhere has no task queue, an import of a few
hundred thousand rows takes a minute, and the page polls for progress
meanwhile. The run's state lives in the database, the progress in a small
JSON file beside the upload (the import's transaction holds the database).
"""

import json
import logging
import os
import re
import shutil
import threading
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from stillhere.lib.paths import data_dir

from .mapping import MappingError, load_mapping, load_preset
from .models import ImportRun
from .progress import write_progress
from .report import ImportReport
from .service import run_import
from .sources import CsvSource

log = logging.getLogger(__name__)
PREVIEW_ROWS = 10
# A running import touches its progress file at least this often, from a
# thread of its own, so a run whose process died (a restart, a kill) is
# seen for what it is once the file has been quiet for ABANDONED_AFTER.
HEARTBEAT_SECONDS = 30
ABANDONED_AFTER = timedelta(minutes=5)
ABANDONED = ("The import stopped before it finished (the server was restarted or the import was cut off). "
             "Nothing was written, and the uploaded files have been deleted; please upload them again.")


def folder(run: ImportRun) -> Path:
    from stillhere.lib.private import private_dir

    return private_dir(data_dir() / "imports" / str(run.code))


def save(run: ImportRun, role: str, upload) -> str:
    """Store one uploaded file as `role-<name>`; returns the stored name."""
    safe = re.sub(r"[^\w.\-]+", "_", Path(upload.name).name)[-80:] or "upload"
    name = f"{role}-{safe}"
    path = folder(run) / name
    # client data: readable by the service account only, from its creation
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        os.fchmod(f.fileno(), 0o600)
        for chunk in upload.chunks():
            f.write(chunk)
    return name


def source_for(run: ImportRun):
    o, base = run.options, folder(run)

    def p(role):
        return base / o["files"][role] if o.get("files", {}).get(role) else None

    names = o.get("names", {})
    if run.kind == ImportRun.Kind.CSV:
        mapping = None
        if p("mapping"):
            mapping = load_mapping(p("mapping"))
        elif o.get("preset"):
            mapping = load_preset(o["preset"])
        return CsvSource(p("appointments"), p("clients"), p("measures"), mapping, names=names)
    if run.kind == ImportRun.Kind.FHIR:
        from .fhir import FhirSource

        return FhirSource(base / "fhir")
    from .ics import IcsSource

    return IcsSource(p("calendar"), clinician=o["clinician"], client_from=o.get("client_from", "attendee"),
                     pattern=o.get("pattern") or None, name=names.get("calendar"))


def preview(run: ImportRun) -> tuple[list[dict], ImportReport]:
    """The first appointments as stillhere reads them, and what reading them found."""
    report = ImportReport(kind=run.kind)
    rows = []
    try:
        source = source_for(run)
        for table, _, batch in source.batches(run.practice, report, None):
            if table == "appointments":
                rows = [r for _, r in batch[:PREVIEW_ROWS]]
                break
    except (MappingError, ValueError) as e:
        report.problem("", None, "", "", str(e))
    return rows, report


def prune_stale(hours: int = 24) -> None:
    """Uploads nobody went on to import do not stay on disk: they hold client data."""
    cutoff = timezone.now() - timedelta(hours=hours)
    for run in ImportRun.objects.filter(created__lt=cutoff).exclude(status=ImportRun.Status.RUNNING).only("code"):
        path = data_dir() / "imports" / str(run.code)
        if path.exists():
            shutil.rmtree(path, ignore_errors=True)


def settle_abandoned(run: ImportRun, now=None) -> bool:
    """A run still marked running whose heartbeat stopped: marked failed, its
    files deleted. Nothing of it was written (its transaction died with it)."""
    import time

    if run.status != ImportRun.Status.RUNNING:
        return False
    beat = data_dir() / "imports" / str(run.code) / "progress.json"
    try:
        quiet = time.time() - beat.stat().st_mtime
    except OSError:
        quiet = float("inf")
    if quiet < ABANDONED_AFTER.total_seconds():
        return False
    report = ImportReport(kind=run.kind, status="failed")
    report.problem("", None, "", "", ABANDONED)
    n = ImportRun.objects.filter(pk=run.pk, status=ImportRun.Status.RUNNING).update(
        status=ImportRun.Status.FAILED, finished=now or timezone.now(),
        report=json.loads(json.dumps(report.to_dict(), default=str)))
    shutil.rmtree(data_dir() / "imports" / str(run.code), ignore_errors=True)
    if n:
        log.warning("import run %s abandoned: marked failed and its files deleted", run.pk)
    return bool(n)


def report_days() -> int:
    return int(getattr(settings, "IMPORT_REPORT_DAYS", 30))


def housekeeping(now=None) -> None:
    """Abandoned runs settled, old uploads removed, old reports purged (a
    report lists problems by row and column; after IMPORT_REPORT_DAYS, default
    30, only the counts in the audit trail remain)."""
    now = now or timezone.now()
    for run in ImportRun.objects.filter(status=ImportRun.Status.RUNNING).only("pk", "code", "kind", "status"):
        settle_abandoned(run, now)
    ImportRun.objects.filter(created__lt=now - timedelta(days=report_days())).exclude(
        report=None).update(report=None, options={})
    prune_stale()


def progress(run: ImportRun) -> float:
    try:
        return float(json.loads((folder(run) / "progress.json").read_text())["fraction"])
    except (OSError, ValueError, KeyError):
        return 0.0


def start(run: ImportRun, dry_run: bool) -> None:
    updated = ImportRun.objects.filter(pk=run.pk, status__in=(ImportRun.Status.UPLOADED, ImportRun.Status.CHECKED)
                                       ).update(status=ImportRun.Status.RUNNING, dry_run=dry_run)
    if not updated:
        return  # already running or finished: a double click starts nothing twice
    write_progress(folder(run) / "progress.json", {"fraction": 0.0})
    if getattr(settings, "INGEST_INLINE", False):
        execute(run.pk, run.created_by)
    else:
        threading.Thread(target=_in_thread, args=(run.pk, run.created_by), daemon=True).start()


def _in_thread(pk, actor):
    close_old_connections()
    try:
        execute(pk, actor)
    finally:
        connection.close()


def _heartbeat(path: Path, stop: threading.Event) -> None:
    import os

    while not stop.wait(HEARTBEAT_SECONDS):
        try:
            os.utime(path)
        except OSError:
            return


def execute(pk, actor) -> ImportRun:
    run = ImportRun.objects.select_related("practice").get(pk=pk)
    path = folder(run) / "progress.json"
    stop = threading.Event()
    threading.Thread(target=_heartbeat, args=(path, stop), daemon=True).start()
    try:
        return _execute(run, path, actor)
    finally:
        stop.set()


def _execute(run, path, actor) -> ImportRun:
    try:
        report = run_import(run.practice, source_for(run), dry_run=run.dry_run, actor=actor,
                            on_progress=lambda t: write_progress(path, {"fraction": t.fraction}))
    except (MappingError, ValueError) as e:
        report = ImportReport(kind=run.kind, status="rejected")
        report.problem("", None, "", "", str(e))
    run.report = json.loads(json.dumps(report.to_dict(), default=str))
    run.status = report.status
    run.finished = timezone.now()
    run.save(update_fields=["report", "status", "finished"])
    if run.status != ImportRun.Status.CHECKED:
        shutil.rmtree(folder(run), ignore_errors=True)  # imported or rejected: the upload is not kept
    return run
