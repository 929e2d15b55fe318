"""Pacing: quiet hours, a minimum gap between contacts with one client, and
a per-practice daily cap. Each says "not now, but then" rather than "no":
a step is moved later, never dropped.

All checks run just before an attempt is written, with one frozen `now`.
"""

from datetime import datetime, timedelta as td

from django.db.models import F

from .models import DailyCount, OutreachAttempt


def _local(practice, now: datetime) -> datetime:
    return now.astimezone(practice.tz)


def _at(practice, day, t) -> datetime:
    return datetime.combine(day, t, tzinfo=practice.tz)


def in_quiet_hours(prefs, practice, now: datetime) -> datetime | None:
    """When quiet hours end, if `now` is inside them (in the practice's zone)."""
    local = _local(practice, now)
    t, start, end = local.time(), prefs.quiet_start, prefs.quiet_end
    if start == end:
        return None
    quiet = (t >= start or t < end) if start > end else (start <= t < end)
    if not quiet:
        return None
    resume = _at(practice, local.date(), end)
    if resume <= local:
        resume = _at(practice, local.date() + td(days=1), end)
    return resume


def too_soon_after_last(step, prefs, now: datetime) -> datetime | None:
    """When the client may next be contacted, if they were contacted lately."""
    gap = td(hours=prefs.min_gap_hours)
    if not gap:
        return None
    last = (OutreachAttempt.objects.filter(client_id=step.client_id, created__gt=now - gap)
            .exclude(step_id=step.id).order_by("-created").values_list("created", flat=True).first())
    return last + gap if last else None


def take_place(prefs, practice, now: datetime) -> datetime | None:
    """Take one place under today's cap; if the day is full, when to try again."""
    day = _local(practice, now).date()
    DailyCount.objects.get_or_create(practice=practice, day=day)
    taken = DailyCount.objects.filter(practice=practice, day=day, count__lt=prefs.daily_cap).update(
        count=F("count") + 1)
    if taken == 1:
        return None
    return _at(practice, day + td(days=1), prefs.quiet_end)


def not_now(step, prefs, now: datetime) -> tuple[str, datetime] | None:
    """None if the step may go now; else (reason, when to try again).

    - quiet hours in the practice's time zone;
    - a minimum gap since the last attempt to this client;
    - the practice's daily cap (checked last: it takes a place).
    A safety check is a task for the clinician, not a message, so it is
    never held back.
    """
    if step.key == "safety_check":
        return None
    practice = step.practice
    if when := in_quiet_hours(prefs, practice, now):
        return "quiet hours", when
    if when := too_soon_after_last(step, prefs, now):
        return f"less than {prefs.min_gap_hours} hours since the last contact", when
    if when := take_place(prefs, practice, now):
        return "the practice's daily limit is reached", when
    return None
