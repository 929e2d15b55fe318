"""Things an import lets through but a person should look at: warnings in
words, listed in the report, that never stop the import.

- an appointment booked after it happened (its lead time, the strongest
  no-show signal, would be nonsense);
- a cancellation dated before the booking;
- a date-only time written with a time zone marker ("2026-03-10T00:00:00Z"):
  read as that local date, not as midnight UTC (which is the evening before
  in the Americas);
- many appointments with one clinician at the same minute (times of day
  lost in the export, or a group entered one by one).

Each kind lists its first few rows, then says how many more there are, so a
110,000-row export with one systematic quirk gives a short report.
"""

from collections import defaultdict
from datetime import time, timedelta

from django.db.models import Count, Q


def _day(d) -> str:
    return f"{d:%a} {d.day} {d:%b %Y}"


def _at(d) -> str:
    return f"{_day(d)}, {d:%H:%M}"

_A_DAY = timedelta(days=1)   # more than any two local offsets of one zone differ by
LISTED_PER_KIND = 5
SAME_MINUTE = 3     # this many appointments with one clinician at one minute is worth a word


class ImportChecks:
    def __init__(self, report, tz):
        self.report, self.tz = report, tz
        self.more: dict[str, int] = defaultdict(int)
        self.listed: dict[str, int] = defaultdict(int)

    def note(self, kind, file, line, column, value, reason) -> None:
        if self.listed[kind] < LISTED_PER_KIND:
            self.listed[kind] += 1
            self.report.warn(file, line, column, value, reason)
        else:
            self.more[kind] += 1

    def date_only(self, file, line, column, value) -> None:
        self.note("date_only:" + column, file, line, column, value,
                  "a date written with a time zone marker and no time of day: read as that date in the "
                  "practice's time zone")

    def appointment(self, file, line, r) -> None:
        start, booked, cancelled = r.get("start"), r.get("booked_at"), r.get("cancelled_at")
        # Booked a day or more ahead (nearly every row): no local times needed to know it is fine.
        if start and booked and start - booked < _A_DAY:
            s, b = start.astimezone(self.tz), booked.astimezone(self.tz)
            dated = s.time() == time(0)  # a date-only appointment: compare days, not minutes
            if (b.date() > s.date()) if dated else (b > s):
                self.note("booked_after", file, line, "booked_at", _at(b),
                          f"booked after the appointment ({_day(s) if dated else _at(s)}); "
                          "its lead time is taken as none")
        if cancelled and booked and cancelled < booked:
            c = cancelled.astimezone(self.tz)
            self.note("cancelled_before", file, line, "cancelled_at", _at(c),
                      f"cancelled before it was booked ({_at(booked.astimezone(self.tz))})")

    def same_minute(self, appointments, label) -> None:
        """Appointments this import wrote that share a clinician and a start minute."""
        from stillhere.clients.models import Appointment

        busy = (appointments.exclude(status__in=[Appointment.Status.CANCELLED, Appointment.Status.RESCHEDULED,
                                                 Appointment.Status.CLINICIAN_CANCELLED])
                .values("episode__clinician", "start").annotate(n=Count("id")).filter(n__gte=SAME_MINUTE)
                .order_by("start"))
        for row in busy.iterator():
            local = row["start"].astimezone(self.tz)
            if local.time() == time(0):
                continue   # date-only appointments all sit at midnight
            self.note("same_minute", label, None, "start", _at(local),
                      f"{row['n']} appointments with one clinician start at this minute: the export may have "
                      "lost their times of day, or a group was entered one by one")

    def finish(self) -> None:
        words = {"booked_after": "booked after the appointment", "cancelled_before": "cancelled before booked",
                 "same_minute": "at one minute with one clinician"}
        for kind, n in self.more.items():
            what = words.get(kind, "dates with a time zone marker and no time of day")
            self.report.warn("", None, "", "", f"… and {n:,} more {what}")


def this_import(appointments_qs, floor: int, updated) -> "object":
    """This import's rows: inserted above `floor`, or updated."""
    return appointments_qs.filter(Q(id__gt=floor) | Q(id__in=list(updated)[:50_000]))
