"""The worker's sense of time: the real clock, or one moved for a rehearsal.

`stillhere worker --start-at 2026-03-10T05:58 --speed 60` runs as if it were
that moment, with a minute passing each real second, so an admin (or a
test) can watch a morning's scan, ticks and daily jobs happen in seconds
against a real database. Only the jobs' idea of "now" moves; the lease keeps
real time (lease.py).
"""

import time
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from django.utils import timezone


class Clock:
    def __init__(self, start_at: datetime | None = None, speed: float = 1.0, origin: float | None = None):
        self.start_at = start_at.astimezone(dt_timezone.utc) if start_at else None
        self.speed = speed
        # `origin` (a real epoch second) lets two workers share one moved clock.
        self.origin = time.time() if origin is None else origin

    @property
    def moved(self) -> bool:
        return self.start_at is not None

    def now(self) -> datetime:
        if self.start_at is None:
            return timezone.now()
        return self.start_at + timedelta(seconds=(time.time() - self.origin) * self.speed)

    def real_seconds_until(self, moment: datetime) -> float:
        """Real seconds to wait for the clock to reach `moment`."""
        return max(0.0, (moment - self.now()).total_seconds() / self.speed)
