"""One snapshot of every practice of an install, partitioned by practice.

A platform scans thousands of practices each morning; one job over one
snapshot does it, instead of a process and a Spark start per practice. The
layout is the one every engine reads as a partitioned table (Hive style):

    DIR/platform.json                         whose facts, when, each practice's row counts
    DIR/appointments/practice_id=7/part-0.parquet
    DIR/episodes/practice_id=7/part-0.parquet ...

Each practice's part is exactly its own snapshot (snapshot.py: the same
shape, order and format), so a scan of one practice reads only its
partition, and a scan of all reads them in one pass, in parallel on Spark.
"""

import json
import os
import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from .snapshot import FORMAT, TABLES, read_meta, write_snapshot
from .sources import CANONICAL, Sources

META = "platform.json"
KEY = "practice_id"


def write_platform_snapshot(sources_for: Callable[[int], Sources], practices: list[tuple[int, str]],
                            folder: Path, on_practice: Callable[[str], None] | None = None) -> dict:
    """Write each (id, slug) practice's snapshot as partition practice_id=id
    of one snapshot in `folder`. Written beside it and swapped in whole, so a
    reader finds the old snapshot or the new one, never a mix."""
    folder = Path(folder)
    new = folder.with_name(folder.name + ".writing")
    shutil.rmtree(new, ignore_errors=True)
    new.mkdir(mode=0o700, parents=True)
    rows = {}
    for pid, slug in practices:
        part = new / ".parts" / str(pid)
        counts = write_snapshot(sources_for(pid), part)
        for name in TABLES:
            dest = new / name / f"{KEY}={pid}"
            dest.mkdir(mode=0o700, parents=True, exist_ok=True)
            (part / f"{name}.parquet").replace(dest / "part-0.parquet")
        rows[str(pid)] = {"practice": slug, "rows": counts}
        if on_practice:
            on_practice(slug)
    shutil.rmtree(new / ".parts")
    meta = {"format": FORMAT, "kind": "all practices", "written_at": datetime.now().astimezone().isoformat(),
            "practices": rows}
    (new / META).write_text(json.dumps(meta, indent=2) + "\n")
    (new / META).chmod(0o600)
    old = folder.with_name(folder.name + ".old")
    if folder.exists():
        shutil.rmtree(old, ignore_errors=True)
        os.replace(folder, old)
    os.replace(new, folder)
    shutil.rmtree(old, ignore_errors=True)
    return meta


def read_platform_meta(folder: Path) -> dict:
    return read_meta(folder, META, "a snapshot of all practices", "stillhere snapshot --all-practices")


def from_platform_snapshot(folder: Path, con, practice_ids: list[int]) -> Sources:
    """The canonical tables of the given practices, read from their
    partitions in one pass (DuckDB or Spark, whichever `con` is)."""
    folder = Path(folder)
    tables = {}
    for name in TABLES:
        if con.name == "pyspark":
            t = con.read_parquet(str(folder / name), table_name=f"platform_{name}")
        else:
            t = con.read_parquet(str(folder / name / f"{KEY}=*" / "*.parquet"), table_name=f"platform_{name}",
                                 hive_partitioning=True)
        t = t.filter(t[KEY].cast("int64").isin([int(p) for p in practice_ids]))
        tables[name] = t.drop(KEY)
    return Sources(*(tables[name] for name in CANONICAL), backend=con, rating_summaries=tables["rating_summaries"])


__all__ = ["write_platform_snapshot", "read_platform_meta", "from_platform_snapshot"]
