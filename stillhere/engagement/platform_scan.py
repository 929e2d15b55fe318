"""The morning scan of every practice of an install, as one job.

Over a snapshot of all practices (features/platform.py), the practices that
share their engagement settings and their offset from UTC today (the two
things the scan's queries are compiled with) are scanned by one query over
their partitions: on a platform that is usually one query for thousands of
practices, run in parallel by Spark. Each practice's rows are then stored
exactly as its own scan stores them (scan.py), practice by practice.
"""

from collections import defaultdict
from datetime import datetime

import ibis
import pandas as pd

from stillhere.accounts.models import Practice
from stillhere.clients.models import Episode
from stillhere.features.platform import from_platform_snapshot, read_platform_meta
from stillhere.features.snapshot import SnapshotError
from stillhere.risk import default_model

from . import query
from .rescan import note_full_scan
from .rules import Rules
from .scan import ScanOutcome, scan_practice


def platform_written_at(folder) -> datetime:
    return datetime.fromisoformat(read_platform_meta(folder)["written_at"])


def scan_all_practices(folder, as_of: datetime, engine: str = "duckdb",
                       store: bool = True) -> list[tuple[Practice, ScanOutcome]]:
    """Scan every practice in the snapshot as of `as_of`; returns each
    practice with its outcome, in practice order."""
    meta = read_platform_meta(folder)
    written = datetime.fromisoformat(meta["written_at"])
    if as_of > written:
        raise SnapshotError(
            f"The snapshot in {folder} was written at {written:%Y-%m-%d %H:%M %Z}; a scan as of a later moment "
            "would miss what has happened since. Write a new one (stillhere snapshot --all-practices).")
    practices = list(Practice.objects.filter(id__in=[int(k) for k in meta["practices"]]).order_by("id"))
    if engine == "spark":
        from stillhere.features.spark import connect

        con = connect()
    else:
        con = ibis.duckdb.connect()
    groups = defaultdict(list)
    for p in practices:
        offset = int(as_of.astimezone(p.tz).utcoffset().total_seconds())
        groups[(Rules.for_practice(p), offset)].append(p)
    T = int(as_of.timestamp())
    outcomes = {}
    for (rules, offset), group in groups.items():
        ids = [p.id for p in group]
        src = from_platform_snapshot(folder, con, ids)
        key = (con.name, "all practices", tuple(ids), rules, default_model.MODEL_VERSION)
        df, noshows = query.scan_frames(src, T, key, rules, offset)
        if not isinstance(df, pd.DataFrame):
            df = df.to_pandas()
        owner = dict(Episode.objects.filter(practice__in=ids).values_list("id", "practice_id"))
        practice_of, ahead_of = df["episode_id"].map(owner), noshows["episode_id"].map(owner)
        for p in group:
            mine = df[practice_of == p.id].sort_values("episode_id", ignore_index=True)
            ahead = noshows[ahead_of == p.id].reset_index(drop=True)
            outcomes[p.id] = scan_practice(p, as_of, store=store, frames=(mine, ahead))
            if store:
                note_full_scan(p, as_of)
    return [(p, outcomes[p.id]) for p in practices]


__all__ = ["scan_all_practices", "platform_written_at"]
