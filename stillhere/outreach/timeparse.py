"""`--as-of` for the outreach commands: a date or an ISO 8601 time."""

from datetime import datetime, time

from django.core.management.base import CommandError
from django.utils import timezone


def parse_as_of(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--as-of {value!r} is not a date or time (e.g. 2026-03-01 or 2026-03-01T09:30)")
    if len(value) == 10:
        dt = datetime.combine(dt.date(), time(12, 0))
    if timezone.is_naive(dt):
        dt = timezone.make_aware(dt, timezone.get_default_timezone())
    return dt
