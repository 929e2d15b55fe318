"""A therapist's calendar (.ics) as a schedule.

Repeating events are expanded (recurring-ical-events) up to --until;
an occurrence moved to another time keeps its identity (UID + RECURRENCE-ID),
so re-importing after a move updates the appointment instead of adding one;
an occurrence marked cancelled, or removed from the series (EXDATE), becomes
a cancelled appointment. A calendar knows nothing of attendance: a past
occurrence counts as attended and a future one as scheduled, unless the
event's CATEGORIES carry a status word ("No show", "Late cancel", …).
A session type comes from CATEGORIES ("Final session", "Intake") or the
summary's opening words ("Final session with Ana Abbott"); an attended
final session ends the episode as planned.

The client is found by a rule: the first attendee other than the clinician
(email and name), else the summary ("Session with Ana Abbott"), or a
pattern with a (?P<name>…) or (?P<id>…) group matched in the summary or
description. Events that name no client (supervision, lunch) are skipped
and listed in the report.
"""

import re
from datetime import date, datetime, timedelta, timezone

import icalendar
import recurring_ical_events

from stillhere.lib.crypto import blind_index

from . import values as v
from .writer import split_name

PREFIX = re.compile(r"^\s*(?:(?:final|last|closing|ending|first)\s+)?(?:(?:therapy\s+)?(?:session|therapy|appointment|appt|intake)"
                    r"\s*(?:with\b|[:\-–—])?\s*)", re.IGNORECASE)
# A summary that opens by naming the session's type.
TYPE_PREFIX = re.compile(r"^\s*(final|last|closing|ending|first|intake)\b(?:\s+(?:therapy\s+)?session)?", re.IGNORECASE)
TYPE_WORDS = {"final": "final", "last": "final", "closing": "final", "ending": "final", "first": "intake",
              "intake": "intake"}
# A calendar's repeats are counted before they are expanded (recurring-ical-
# events builds every occurrence in memory, a few milliseconds each): the
# count caps the memory and the clock caps the time, so a rule like
# FREQ=SECONDLY from 1970 is refused in a moment instead of growing forever.
MAX_OCCURRENCES = 50_000
MAX_EXPAND_SECONDS = 60
TOO_OFTEN = {"SECONDLY": "second", "MINUTELY": "minute", "HOURLY": "hour"}


class RecurrenceTooBig(ValueError):
    """A repeating event that would make more appointments than we expand."""


def check_recurrences(events, first: datetime, end: datetime, tz) -> None:
    """Refuse, before any expansion, rules that repeat more often than daily
    and calendars whose repeats add up to more than MAX_OCCURRENCES."""
    from dateutil.rrule import rrulestr

    total = 0
    for ev in events:
        if ev.get("RRULE") is None or ev.get("DTSTART") is None:
            continue
        summary = _where(ev, tz)
        for rule in _as_list(ev.get("RRULE")):
            freq = str((rule.get("FREQ") or [""])[0]).upper()
            if freq in TOO_OFTEN:
                raise RecurrenceTooBig(f"the {summary} repeats every {TOO_OFTEN[freq]}; an appointment "
                                       "can repeat at most daily")
            start = _as_dt(ev.get("DTSTART").dt, tz)
            try:
                text = rule.to_ical().decode()
                parsed = rrulestr(text, dtstart=start, ignoretz=False)
                n = sum(1 for _ in parsed.xafter(max(first - timedelta(days=1), start), count=MAX_OCCURRENCES + 1,
                                                 inc=True) if _ < end)
            except (ValueError, TypeError, OverflowError):
                raise RecurrenceTooBig(f"the {summary} has a repeat rule that cannot be read") from None
            total += n
            if total > MAX_OCCURRENCES:
                raise RecurrenceTooBig(f"the repeating events add up to more than {MAX_OCCURRENCES:,} appointments "
                                       "before the end date; give an earlier --until (or a shorter "
                                       "'Import until' date), or split the calendar")


class IcsSource:
    kind = "ics"

    def __init__(self, path, clinician: str, client_from: str = "attendee", pattern: str | None = None,
                 until: str | date | None = None, now: datetime | None = None, name: str | None = None):
        from pathlib import Path

        self.path, self.name = Path(path), name
        self.clinician = clinician.strip().lower()
        if "@" not in self.clinician:
            raise ValueError("--clinician must be the clinician's email address.")
        self.client_from = client_from
        try:
            self.pattern = re.compile(pattern, re.IGNORECASE) if pattern else None
        except re.error as e:
            raise ValueError(f"--client-pattern is not a valid regular expression ({e}).") from None
        if self.pattern and not {"name", "id"} & set(self.pattern.groupindex):
            raise ValueError("--client-pattern needs a (?P<name>…) or (?P<id>…) group.")
        self.now = now or datetime.now(timezone.utc)
        if isinstance(until, str):
            try:
                until = date.fromisoformat(until)
            except ValueError:
                raise ValueError("--until must be a date, YYYY-MM-DD.") from None
        self.until = until or (self.now + timedelta(weeks=8)).date()

    def labels(self):
        return [self.name or self.path.name]

    def paths(self):
        return [self.path]

    def batches(self, practice, report, tracker):
        label = self.labels()[0]
        try:
            raw = self.path.read_bytes()
        except OSError as e:
            report.problem(label, None, "", "", f"cannot open the file ({e.strerror or e.__class__.__name__})")
            return
        if tracker:
            tracker.advance(len(raw))
        try:
            cal = icalendar.Calendar.from_ical(raw)
            if not isinstance(cal, icalendar.Calendar) or cal.name != "VCALENDAR":
                raise ValueError
            events = list(cal.walk("VEVENT"))
        except Exception as e:  # icalendar raises ValueError, KeyError, TypeError… on broken files
            report.problem(label, None, "", "", f"not a readable calendar (.ics) file ({e.__class__.__name__})")
            return
        clients = _ClientBook(practice)
        rows = []
        try:
            self._check(events, practice.tz)
            for line, rec in self._rows(cal, events, label, practice.tz, report, clients):
                rows.append((line, rec))
                if len(rows) >= 2000:
                    yield "appointments", label, rows
                    rows = []
        except RecurrenceTooBig as e:
            report.problem(label, None, "RRULE", "", str(e))
            return
        except Exception as e:  # recurrence expansion on a malformed rule
            report.problem(label, None, "RRULE", "", f"a repeating event could not be expanded "
                                                      f"({e.__class__.__name__})")
            return
        if rows:
            yield "appointments", label, rows

    def _span(self, events, tz):
        starts = [_as_dt(e.get("DTSTART").dt, tz) for e in events if e.get("DTSTART") is not None]
        end = datetime.combine(self.until, datetime.min.time(), tzinfo=tz) + timedelta(days=1)
        return (min(starts) if starts else None), end

    def _check(self, events, tz):
        first, end = self._span(events, tz)
        if first is not None:
            check_recurrences(events, first, end, tz)

    def _rows(self, cal, events, label, tz, report, clients):
        import time

        first, end = self._span(events, tz)
        if first is None:
            return
        deadline = time.monotonic() + MAX_EXPAND_SECONDS
        occurrences = recurring_ical_events.of(cal).after(first - timedelta(days=1))
        for n, ev in enumerate(occurrences):
            if _as_dt(ev.get("DTSTART").dt, tz) >= end:
                break
            if n >= MAX_OCCURRENCES or time.monotonic() > deadline:
                raise RecurrenceTooBig(f"the calendar's repeating events could not be expanded within "
                                       f"{MAX_OCCURRENCES:,} appointments and {MAX_EXPAND_SECONDS} seconds; "
                                       "give an earlier --until, or split the calendar")
            rec = self._event(ev, label, tz, report, clients, cancelled=False)
            if rec:
                yield None, rec
        for master in events:  # occurrences removed from a series: cancelled
            if master.get("RRULE") is None or master.get("EXDATE") is None:
                continue
            exdates = master.get("EXDATE")
            for group in exdates if isinstance(exdates, list) else [exdates]:
                for d in group.dts:
                    when = _as_dt(d.dt, tz)
                    if first <= when < end:
                        rec = self._event(master, label, tz, report, clients, cancelled=True, at=when)
                        if rec:
                            yield None, rec

    def _event(self, ev, label, tz, report, clients, cancelled, at=None):
        uid = str(ev.get("UID") or "")
        dtstart = ev.get("DTSTART")
        where = _where(ev, tz, at)
        if not uid or dtstart is None:
            report.skip(label, None, where, "", "an event without UID or start")
            return None
        if not isinstance(dtstart.dt, datetime):
            report.skip(label, None, where, "", "an all-day event")
            return None
        start = _as_dt(at or dtstart.dt, tz).astimezone(timezone.utc)
        rid = ev.get("RECURRENCE-ID")
        key_time = _as_dt(rid.dt, tz).astimezone(timezone.utc) if rid is not None and not at else start
        recurring = at is not None or rid is not None
        external_id = f"ics:{uid}" + (f":{key_time:%Y%m%dT%H%M%SZ}" if recurring else "")
        client = self._client(ev, clients)
        if client is None:
            report.skip(label, None, where, "", "no client found in the event by the rule")
            return None
        status = self._status(ev, start, cancelled)
        if status is None:
            report.problem(label, None, f"{where} CATEGORIES", str(ev.get("CATEGORIES") and
                           ",".join(str(c) for c in ev.get("CATEGORIES").cats) or ""), "is not a status")
            return None
        rec = {"external_id": external_id, "client": client[0], "clinician": self.clinician, "start": start,
               "status": status, "client_name": client[1], "new_client": client[2]}
        kind = self._session_type(ev)
        if kind:
            rec["session_type"] = kind
        end, duration = ev.get("DTEND"), ev.get("DURATION")
        if end is not None and isinstance(end.dt, datetime) and not at:
            minutes = (_as_dt(end.dt, tz) - _as_dt(dtstart.dt, tz)).total_seconds() // 60
            rec["duration_min"] = max(1, min(int(minutes), 1440))
        elif duration is not None and isinstance(duration.dt, timedelta):
            rec["duration_min"] = max(1, min(int(duration.dt.total_seconds() // 60), 1440))
        created = ev.get("CREATED")
        if created is not None and isinstance(created.dt, datetime):
            rec["booked_at"] = _as_dt(created.dt, tz).astimezone(timezone.utc)
        if status in ("cancelled", "late_cancel", "clinician_cancelled"):
            modified = ev.get("LAST-MODIFIED")
            if modified is not None and isinstance(modified.dt, datetime) and not at:
                rec["cancelled_at"] = min(_as_dt(modified.dt, tz).astimezone(timezone.utc), start)
        return rec

    def _status(self, ev, start, cancelled):
        if cancelled or str(ev.get("STATUS") or "").upper() == "CANCELLED":
            return "cancelled"
        cats = ev.get("CATEGORIES")
        words = []
        for c in cats if isinstance(cats, list) else [cats] if cats is not None else []:
            words += [str(x) for x in c.cats]
        for w in words:
            found = v.OUR_STATUSES.get(v.norm(w))
            if found:
                return found
        return "attended" if start < self.now else "scheduled"

    def _session_type(self, ev) -> str | None:
        cats = ev.get("CATEGORIES")
        words = [str(x) for c in _as_list(cats) for x in c.cats]
        m = TYPE_PREFIX.match(str(ev.get("SUMMARY") or ""))
        return v.session_type_in(words) or (TYPE_WORDS[m.group(1).lower()] if m else None)

    def _client(self, ev, clients):
        """(external id, name, fields for a new client) by the configured rule."""
        if self.client_from == "attendee" and not self.pattern:
            for a in _as_list(ev.get("ATTENDEE")):
                email = str(a).removeprefix("mailto:").removeprefix("MAILTO:").strip().lower()
                if not email or email == self.clinician or "@" not in email:
                    continue
                name = str(a.params.get("CN", "")).strip() or email.split("@")[0]
                return clients.by_email(email, name)
        field = "DESCRIPTION" if self.client_from == "description" else "SUMMARY"
        text = str(ev.get(field) or "")
        if not self.pattern:
            return clients.by_name(_person(text))
        m = self.pattern.search(text)
        if not m:
            return None
        groups = m.groupdict()
        if groups.get("id"):
            return clients.by_id(groups["id"].strip()[:100], " ".join((groups.get("name") or "").split()))
        name = " ".join((groups.get("name") or "").split())
        return clients.by_name(name) if name else None


def _person(text: str) -> str:
    """A name in a summary like "Session with Ana Abbott" or "Ana Abbott (video)":
    two to four capitalised words, so "Lunch" or "Team meeting" name nobody."""
    rest = re.sub(r"\(.*?\)|\[.*?\]", " ", PREFIX.sub("", text))
    words = rest.replace("–", " ").replace("—", " ").split()
    if 2 <= len(words) <= 4 and all(w[0].isupper() and re.fullmatch(r"[^\W\d_][\w'’.-]*", w) for w in words):
        return " ".join(words)
    return ""


class _ClientBook:
    """The practice's clients by email and by name, to find the one an event means.

    Emails are encrypted at rest: they are matched on their blind index (a
    keyed digest of the lower-cased address), so none is decrypted here."""

    def __init__(self, practice):
        from stillhere.clients.models import Client

        self.email, self.name, self.ids = {}, {}, set()
        for ext, email_index, first, pref, last in Client.objects.filter(practice=practice).values_list(
                "external_id", "email_index", "first_name", "preferred_name", "last_name"):
            self.ids.add(ext)
            if email_index:
                self.email.setdefault(email_index, ext)
            for f in {first, pref} - {""}:
                self.name.setdefault(v.norm(f"{f} {last}"), ext)

    def by_email(self, email, name):
        first, last = split_name(name)
        ext = self.email.get(blind_index("email", email)) or self.name.get(v.norm(name)) or f"ics:{email}"[:100]
        return ext, name, {"first_name": first, "last_name": last, "email": email}

    def by_name(self, name):
        if not name:
            return None
        first, last = split_name(name)
        ext = self.name.get(v.norm(name)) or f"ics:{v.norm(name)}"[:100]
        return ext, name, {"first_name": first, "last_name": last}

    def by_id(self, ident, name):
        first, last = split_name(name or ident)
        return ident, name or ident, {"first_name": first, "last_name": last}


def _where(ev, tz, at=None) -> str:
    """An event named by when it starts: its title often names the client,
    and reports are printed and kept."""
    dtstart = ev.get("DTSTART")
    try:
        when = _as_dt(at or dtstart.dt, tz).astimezone(tz)
        return f"event starting {when:%Y-%m-%d %H:%M}"
    except (AttributeError, TypeError, ValueError):
        return "event with no start"


def _as_list(x):
    if x is None:
        return []
    return x if isinstance(x, list) else [x]


def _as_dt(value, tz) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)  # floating time: the practice's zone
    return datetime(value.year, value.month, value.day, tzinfo=tz)
