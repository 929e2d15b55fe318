"""Parquet snapshots of the canonical tables, for scans at platform scale.

The operational database is the record; a snapshot is a copy of the five
canonical tables (sources.py) in exactly the shape the feature layer reads:
integer times, each rating with its episode and the rating before it, each
episode with its client's flags (so a scan joins no clients), rows in
episode order. A scan over it therefore converts nothing and sorts
nothing; DuckDB (or Spark) reads the columns it needs and aggregates. The
conversions are paid once, when the snapshot is written, instead of on every
scan of the same facts.

A snapshot taken from the database keeps the database's own ids, so scores
computed over it are stored back against the right episodes; `snapshot.json`
beside the tables says whose facts they are and when they were taken, so a
scan can refuse a snapshot that cannot answer its question.
"""

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import ibis
import pyarrow.parquet as pq

from .episode import CLIENT_COLUMNS, event_s, packed, rating_summaries
from .sources import CANONICAL, Sources

FORMAT = 3   # 2: episodes carry their client's flags; 3: ratings summed up per episode

TABLES = (*CANONICAL, "rating_summaries")

# Each episode's rows together. Facts of episodes that ended long ago first,
# in end order, so a scan of open episodes skips their row groups unread;
# ratings by instrument before that, so one that reads SRS and ORS skips the rest.
SORT = {"appointments": ("episode_ended_s", "episode_id", "start_s"), "episodes": ("episode_id",), "clients": ("client_id",),
        "measures": ("instrument", "episode_ended_s", "episode_id", "taken_s"), "breaks": ("episode_id",),
        "rating_summaries": ("episode_ended_s", "episode_id")}


class SnapshotError(ValueError):
    """A folder that is not a snapshot, or one that cannot serve this scan."""


def write_snapshot(src: Sources, folder: Path, meta: dict | None = None,
                   on_table: Callable[[str], None] | None = None) -> dict[str, int]:
    """Write the canonical tables of `src` to `folder`; returns row counts.
    `on_table(name)` is called as each table is done (for a progress bar).

    Each table is written beside its final name and moved into place, and
    `snapshot.json` last, so a reader never sees half a snapshot as whole.
    """
    folder = Path(folder)
    # Clinical facts: for the owner's eyes only (a folder that already
    # exists keeps its own permissions; the files are 0600 either way).
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    (folder / "snapshot.json").unlink(missing_ok=True)
    counts = {}
    for name in TABLES:
        table = _shaped(src, name).order_by(list(SORT[name]))
        path = folder / f"{name}.parquet"
        tmp = path.with_suffix(".parquet.part")
        src.backend.to_parquet(table, tmp)
        tmp.chmod(0o600)
        tmp.replace(path)
        counts[name] = pq.ParquetFile(path).metadata.num_rows
        if on_table:
            on_table(name)
    info = {"format": FORMAT, "written_at": datetime.now().astimezone().isoformat(), "rows": counts,
            **(meta or {})}
    (folder / "snapshot.json").write_text(json.dumps(info, indent=2) + "\n")
    (folder / "snapshot.json").chmod(0o600)
    return counts


def _shaped(src: Sources, name: str) -> ibis.Table:
    if name == "rating_summaries":
        return rating_summaries(src.measures)
    t = getattr(src, name)
    if name == "appointments":
        t = t.mutate(event_s=event_s(t))
    if name == "measures":
        # Each rating with its episode's last rating's time, so a scan as of
        # an earlier moment finds the episodes it must sum up afresh. Taken
        # from the summaries' own definition: a scan reads an episode from
        # its summary or from its ratings, never both, only if the two agree.
        s = rating_summaries(t)
        last = s.select(k=s.episode_id, episode_last_taken_s=s.last_taken_s)
        t = t.mutate(packed=packed(t))
        t = t.left_join(last, t.episode_id == last.k).drop("k")
    if name == "episodes":
        c = src.clients.select("client_id", *CLIENT_COLUMNS).rename(kc="client_id")
        t = t.left_join(c, t.client_id == c.kc).drop("kc")
    return t


def read_meta(folder: Path, name: str = "snapshot.json", kind: str = "a snapshot",
              command: str = "stillhere snapshot") -> dict:
    path = Path(folder) / name
    try:
        meta = json.loads(path.read_text())
    except FileNotFoundError:
        raise SnapshotError(f"{folder} is not {kind} (it has no {name}); "
                            f"write one with `{command}`.") from None
    except json.JSONDecodeError as e:
        raise SnapshotError(f"{path} is not valid JSON (line {e.lineno}): {e.msg}") from None
    if meta.get("format") != FORMAT:
        raise SnapshotError(f"{path} is snapshot format {meta.get('format')!r}; this version reads format {FORMAT}. "
                            f"Write it again with `{command}`.")
    return meta


def from_snapshot(folder: Path, con=None) -> Sources:
    """The canonical tables of a snapshot, in DuckDB, read as they are."""
    folder = Path(folder)
    missing = [name for name in TABLES if not (folder / f"{name}.parquet").exists()]
    if missing:
        raise SnapshotError(f"{folder} is not a snapshot: it has no {missing[0]}.parquet")
    con = con or ibis.duckdb.connect()
    t = {name: con.read_parquet(folder / f"{name}.parquet", table_name=f"snapshot_{name}") for name in TABLES}
    return Sources(*(t[name] for name in CANONICAL), backend=con, rating_summaries=t["rating_summaries"])


__all__ = ["write_snapshot", "from_snapshot", "read_meta", "SnapshotError"]
