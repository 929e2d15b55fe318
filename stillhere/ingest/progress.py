"""Progress of a long import, as bytes read out of the bytes to read.

Readers pull files through `CountingFile`, so progress needs no row count
up front (a 1M-row file is never read twice just to count it). Progress is
written to a small JSON file beside the upload rather than to the database:
the import's own transaction holds the database until it commits.
"""

import io
import json
import os
import time
from pathlib import Path


class CountingFile(io.RawIOBase):
    def __init__(self, raw, tracker: "Tracker | None"):
        self.raw, self.tracker = raw, tracker

    def readable(self):
        return True

    def readinto(self, b):
        n = self.raw.readinto(b)
        if n and self.tracker:
            self.tracker.advance(n)
        return n

    def close(self):
        self.raw.close()
        super().close()


class Tracker:
    """Counts bytes across all the files of one import; reports at most every half second."""

    def __init__(self, total: int, callback=None):
        self.total, self.done, self.callback, self._last = max(total, 1), 0, callback, 0.0

    def advance(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if self.callback and now - self._last > 0.5:
            self._last = now
            self.callback(self)

    @property
    def fraction(self) -> float:
        return min(1.0, self.done / self.total)


def open_counted(path, tracker: Tracker | None, encoding: str = "utf-8-sig") -> io.TextIOWrapper:
    raw = CountingFile(open(path, "rb"), tracker)
    return io.TextIOWrapper(io.BufferedReader(raw, 1 << 16), encoding=encoding, newline="")


def total_size(paths) -> int:
    total = 0
    for p in paths:
        p = Path(p)
        if p.is_dir():
            total += sum(f.stat().st_size for f in p.rglob("*") if f.is_file())
        elif p.exists():
            total += p.stat().st_size
    return total


def write_progress(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)  # readers never see half a file
