"""The morning run of one practice: what `stillhere scan` and the worker's
morning job both do, so a practice served by the worker gets exactly what a
practice that runs the scan from cron gets.

1. Refit the no-show score's practice calibration if it is due (weekly).
2. Scan: states and risks for every open or recently ended episode.
3. Offer reminders for tomorrow's appointments above the practice's no-show risk.
"""

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from stillhere.accounts.models import Practice
from stillhere.lib.progress import Progress

from .rescan import note_full_scan
from .scan import ScanOutcome, scan_practice


@dataclass
class MorningRun:
    scan: ScanOutcome
    reminders: int = 0


def morning_run(practice: Practice, as_of: datetime, *, store: bool = True, progress: Progress | None = None,
                snapshot: Path | None = None, engine: str = "duckdb") -> MorningRun:
    """Run the practice's morning; with store=False (a dry run) nothing is written."""
    from stillhere.outreach.reminders import plan_reminders
    from stillhere.risk.calibration import refit_if_due

    if store:
        refit_if_due(practice, as_of)
    outcome = scan_practice(practice, as_of, store=store, progress=progress, snapshot=snapshot, engine=engine)
    if store:
        note_full_scan(practice, as_of)   # the inbox's "Last checked"
    reminders = plan_reminders(practice, as_of) if store else 0
    return MorningRun(outcome, reminders)
