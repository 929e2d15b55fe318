"""Parquet snapshots of the canonical tables, for scans at platform scale.

The operational database is the record; a snapshot is a copy of the five
canonical tables (sources.py) in exactly the shape the feature layer reads:
integer times, each rating with its episode and the rating before it, rows
in episode order. A scan over a snapshot therefore converts nothing and
sorts nothing; DuckDB (or Spark) reads the columns it needs and aggregates.
The conversions are paid once, when the snapshot is written, instead of on
every scan of the same facts.

A snapshot taken from the database keeps the database's own ids, so scores
computed over it can be stored back against the right episodes.
"""

from pathlib import Path

import ibis

from .sources import CANONICAL, Sources

SORT = {"appointments": ("episode_id", "start_s"), "episodes": ("episode_id",), "clients": ("client_id",),
        "measures": ("episode_id", "taken_s"), "breaks": ("episode_id",)}


def write_snapshot(src: Sources, folder: Path) -> dict[str, int]:
    """Write the canonical tables of `src` to `folder`; returns row counts."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name in CANONICAL:
        table = getattr(src, name)
        table = table.order_by(list(SORT[name]))
        path = folder / f"{name}.parquet"
        tmp = path.with_suffix(".parquet.part")
        src.backend.to_parquet(table, tmp)
        tmp.replace(path)   # a reader never sees half a table
        counts[name] = ibis.duckdb.connect().read_parquet(path).count().execute()
    return counts


def from_snapshot(folder: Path, con=None) -> Sources:
    """The canonical tables of a snapshot, in DuckDB, read as they are."""
    folder = Path(folder)
    con = con or ibis.duckdb.connect()
    missing = [name for name in CANONICAL if not (folder / f"{name}.parquet").exists()]
    if missing:
        raise FileNotFoundError(f"{folder} is not a snapshot: it has no {missing[0]}.parquet")
    return Sources(*(con.read_parquet(folder / f"{name}.parquet", table_name=f"snapshot_{name}")
                     for name in CANONICAL), backend=con)


__all__ = ["write_snapshot", "from_snapshot"]
