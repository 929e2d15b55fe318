"""A plain terminal progress bar: drawn only when the stream is a terminal,
so logs and pipes (cron, CI, --json) stay clean."""

import sys
import time


class Progress:
    def __init__(self, total: int, label: str = "", stream=None, width: int = 30):
        self.total, self.label, self.width = max(total, 1), label, width
        self.stream = stream or sys.stderr
        self.enabled = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.done = 0
        self._last = 0.0

    def advance(self, n: int = 1, label: str | None = None) -> None:
        self.done = min(self.total, self.done + n)
        if label is not None:
            self.label = label
        now = time.monotonic()
        if self.enabled and (now - self._last > 0.05 or self.done == self.total):
            self._last = now
            filled = int(self.width * self.done / self.total)
            bar = "█" * filled + "·" * (self.width - filled)
            self.stream.write(f"\r{self.label:<28} {bar} {self.done}/{self.total}")
            self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()
