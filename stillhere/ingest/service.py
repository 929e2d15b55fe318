"""Run one import: every source, one transaction, one report.

1. The source streams batches of parsed rows, reporting bad cells as it goes.
2. The writer upserts each batch, until the first problem; after that the
   rest of the input is still read, to list every problem in one report.
3. Any problem (or --dry-run) rolls the whole transaction back: a bad file
   never leaves half a practice behind.
4. Episode start dates and session numbers are recomputed, every
   appointment booked or changed gets its no-show risk at once
   (risk/booking.py), and one audit event records the counts.
"""

import logging
import traceback

from django.db import transaction
from django.utils import timezone

from stillhere.audit.events import ImportCompleted, ImportRejected, record

from .progress import Tracker, total_size
from .report import ImportReport
from .writer import Writer

log = logging.getLogger(__name__)


class _Rollback(Exception):
    pass


NUL_REASON = ("contains a NUL character (an invisible control character that cannot be stored); "
              "remove it and import again")
# Every text a source hands the writer, and the most it may hold (the
# model's max_length): longer is a problem with its reason, never cut short.
LIMITS = {"external_id": 100, "client": 100, "first_name": 100, "last_name": 100, "preferred_name": 100,
          "pronouns": 40, "email": 254, "phone": 40, "address_line1": 200, "address_line2": 200, "city": 100,
          "region": 100, "postal_code": 20, "client_name": 200, "clinician": 200, "clinician_name": 200,
          "episode": 100}
# A line break in these would let a file add headers to an email or a text.
ONE_LINE = {"first_name", "last_name", "preferred_name", "email", "phone", "client_name", "clinician",
            "clinician_name", "pronouns"}


def _faults(rec, prefix=""):
    for k, val in rec.items():
        if val.__class__ is str and "\x00" not in val and len(val) <= LIMITS.get(k, len(val)) and \
                (k not in ONE_LINE or ("\n" not in val and "\r" not in val)):
            continue   # the common case, in one test
        if isinstance(val, dict):
            yield from _faults(val, f"{prefix}{k}.")
        elif isinstance(val, str):
            if "\x00" in val:
                yield prefix + k, NUL_REASON
            elif k in ONE_LINE and ("\n" in val or "\r" in val):
                yield prefix + k, "contains a line break; it must be on one line"
            elif k in LIMITS and len(val) > LIMITS[k]:
                yield prefix + k, f"is longer than {LIMITS[k]} characters ({len(val)})"


def _clean(batch) -> bool:
    """The whole batch at once, a column at a time: each column's texts are
    joined and searched for a NUL (and a line break where one matters) in
    one pass in C, and their longest is compared with the column's limit.
    False when any column fails (or holds nested values): the row-by-row
    check then names each row, column and reason."""
    keys = set().union(*(rec.keys() for _, rec in batch))
    for k in keys:
        values = [rec.get(k) for _, rec in batch]
        kinds = set(map(type, values))
        if any(issubclass(t, (dict, str)) and t is not str for t in kinds):
            return False   # a nested record (FHIR's new client, signals) or a str subclass: row by row
        if str not in kinds:
            continue
        texts = values if len(kinds) == 1 else [val for val in values if val.__class__ is str]
        joined = "".join(texts)
        if "\x00" in joined or (k in ONE_LINE and ("\n" in joined or "\r" in joined)):
            return False
        if k in LIMITS and max(map(len, texts)) > LIMITS[k]:
            return False
    return True


def checked(batch, label, report):
    """Rows that every source's output must pass before the writer sees them:
    no NUL (PostgreSQL cannot store one), no line break where a header
    could be made of it, nothing longer than its column."""
    if batch and _clean(batch):
        return batch
    kept = []
    for line, rec in batch:
        faults = list(_faults(rec))
        for column, reason in faults:
            report.problem(label, line, column, "", reason)
        if not faults:
            kept.append((line, rec))
    return kept


def rescan_after_import(practice, clients, episodes) -> int:
    """How many clients were rescanned (-1 when the rescan failed)."""
    from stillhere.clients.models import Episode
    from stillhere.engagement.rescan import FULL_ABOVE, rescan_quietly

    episodes = [e for e in episodes if e]
    if len(clients) + len(episodes) > FULL_ABOVE:   # a large import: the whole practice (rescan.py)
        ids = set(practice.clients.values_list("id", flat=True))
    else:
        ids = set(clients) | set(Episode.objects.filter(practice=practice, pk__in=episodes)
                                 .values_list("client_id", flat=True))
    if not ids:
        return 0
    return len(ids) if rescan_quietly(practice, client_ids=ids, why="after an import") else -1


def run_import(practice, source, *, dry_run: bool = False, actor=None, on_progress=None,
               rescan: bool = True) -> ImportReport:
    """`rescan=False` (the CLI's --no-rescan): a history loaded to be replayed
    with `stillhere scan --as-of`, where a rescan as of now would put today's
    states ahead of the replay."""
    report = ImportReport(kind=source.kind, files=source.labels(), dry_run=dry_run)
    tracker = Tracker(total_size(source.paths()), on_progress)
    affected = ((), ())
    try:
        with transaction.atomic():
            writer = Writer(practice, report, source=source.kind)
            for table, label, batch in source.batches(practice, report, tracker):
                batch = checked(batch, label, report)
                if not report.failed:
                    getattr(writer, f"write_{table}")(batch, label)
            if not report.failed:
                writer.finish()
                if not dry_run:
                    # Here, not at the top: the scorer brings Ibis, pandas and
                    # SciPy, which the tick (it imports this module for its
                    # housekeeping) never needs.
                    from stillhere.risk.booking import after_import

                    report.noshow_scored = after_import(practice, timezone.now(), created_after_id=writer.appt_floor,
                                                        ids=writer.appts_updated)
            if report.failed or dry_run:
                raise _Rollback
            affected = (writer.clients_changed, writer.changed)
    except _Rollback:
        pass
    except Exception as e:  # a defect, not bad input: say so, keep nothing, log no client data
        log.error("import failed with %s\n%s", e.__class__.__name__, "".join(traceback.format_tb(e.__traceback__)))
        report.problem("", None, "", "", f"internal error ({e.__class__.__name__}); nothing was written")
    tracker.done = tracker.total
    if on_progress:
        on_progress(tracker)
    report.status = "rejected" if report.failed else "checked" if dry_run else "imported"
    if report.status == "imported" and rescan:
        # The scan follows the facts: the clients this import changed, now
        # (engagement/rescan.py), after the import's own transaction, so a
        # failure here never loses the import (the morning run catches up).
        report.rescanned = rescan_after_import(practice, *affected)
    if report.status == "imported":
        record(ImportCompleted(practice=practice, actor=actor, kind=source.kind, totals=report.totals()))
    elif report.status == "rejected":
        record(ImportRejected(practice=practice, actor=actor, kind=source.kind, totals=report.totals()))
    return report
