"""Turn the text of one cell into a value, or say in words why it can't be.

Each parser raises `Invalid(reason)`; the readers turn that into a Problem
with the file, line and column. Reasons never repeat the value itself, so
they are safe to show anywhere the report goes.
"""

import re
from datetime import date, datetime, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from stillhere.clients.models import STYLE_FLAG_KEYS, Appointment, SessionMarker

STATUSES = frozenset(Appointment.Status.values)
SESSION_TYPES = frozenset(Appointment.SessionType.values)
MARKERS = frozenset(SessionMarker.Kind.values)
TRUE = {"true", "yes", "y", "1", "t", "x"}
FALSE = {"false", "no", "n", "0", "f", ""}


class Invalid(ValueError):
    pass


@lru_cache(maxsize=8192)
def norm(text: str) -> str:
    """Header and vocabulary key: case, spaces, hyphens and underscores don't matter."""
    return re.sub(r"(?:[\s_]|(?<=\w)-(?=\w))+", "_", str(text).strip().lower()).strip("_")


# Our own words, and the spellings people type for them.
OUR_STATUSES = {norm(s): s for s in STATUSES} | {
    "noshow": "no_show", "did_not_attend": "no_show", "dna": "no_show",
    "late_cancellation": "late_cancel", "late_cancelled": "late_cancel", "late_canceled": "late_cancel",
    "canceled": "cancelled", "cancelled_by_clinician": "clinician_cancelled",
    "clinician_canceled": "clinician_cancelled", "booked": "scheduled", "kept": "attended",
    "show": "attended", "arrived": "attended",
}

# Session types, and the words exports and calendars use for them. A final
# session ends the episode as planned once it is attended (engagement/rules.py).
OUR_SESSION_TYPES = {norm(s): s for s in SESSION_TYPES} | {
    "final_session": "final", "last_session": "final", "closing_session": "final", "ending_session": "final",
    "ending": "final", "termination": "final", "termination_session": "final", "discharge": "final",
    "discharge_session": "final", "planned_ending": "final",
    "intake_session": "intake", "initial_assessment": "intake", "assessment": "intake", "first_session": "intake",
    "therapy": "session", "therapy_session": "session", "follow_up": "session", "followup": "session",
}


def session_type(value: str, vocabulary: dict | None = None) -> str:
    """Map a session type through the file's vocabulary (preset or mapping) and our own words."""
    key = norm(value)
    found = (vocabulary or {}).get(key) or OUR_SESSION_TYPES.get(key)
    if not found:
        raise Invalid("is not a session type stillhere knows (intake, session or final); map it in a "
                      "mapping file [appointments.session_types]")
    return found


def session_type_in(words) -> str | None:
    """The session type a calendar's or FHIR resource's words name, if any."""
    for w in words:
        found = OUR_SESSION_TYPES.get(norm(w))
        if found:
            return found
    return None


def text(value: str, max_length: int) -> str:
    value = value.strip()
    if len(value) > max_length:
        raise Invalid(f"is longer than {max_length} characters")
    return value


def integer(value: str, lo: int, hi: int) -> int:
    v = value.strip()
    if not re.fullmatch(r"-?\d{1,9}(\.0*)?", v):
        raise Invalid("is not a whole number")
    n = int(v.split(".")[0])
    if not lo <= n <= hi:
        raise Invalid(f"must be between {lo} and {hi}")
    return n


def number(value: str) -> float:
    try:
        x = float(value)
    except ValueError:
        raise Invalid("is not a number") from None
    if x != x or x in (float("inf"), float("-inf")):
        raise Invalid("is not a number")
    return x


def boolean(value: str) -> bool:
    v = value.strip().lower()
    if v in TRUE:
        return True
    if v in FALSE:
        return False
    raise Invalid("is not yes/no (use true/false, yes/no or 1/0)")


def signal(value: str) -> float:
    """A signal of the practice's own (mapping.py): yes/no as 1/0, or a number."""
    v = value.strip().lower()
    if v in TRUE:
        return 1.0
    if v in FALSE:
        return 0.0
    try:
        x = float(v.replace(",", "")) if re.fullmatch(r"-?[\d,]*\.?\d+(e-?\d+)?", v) else None
    except ValueError:
        x = None
    if x is None or x != x or abs(x) > 1e9:
        raise Invalid("is neither yes/no nor a number (a signal takes true/false, yes/no, 1/0 or a number "
                      "such as 2 or 0.5)")
    return x


def email(value: str) -> str:
    value = value.strip()
    if value:
        try:
            validate_email(value)
        except ValidationError:
            raise Invalid("is not an email address") from None
    return value


def style_flags(value: str) -> list[str]:
    flags = [norm(f) for f in re.split(r"[;,|]", value) if f.strip()]
    bad = [f for f in flags if f not in STYLE_FLAG_KEYS]
    if bad:
        raise Invalid(f"style flags must be among {', '.join(STYLE_FLAG_KEYS)}")
    return sorted(set(flags))


def choice(value: str, allowed: frozenset, what: str) -> str:
    v = norm(value)
    if v not in allowed:
        raise Invalid(f"is not a {what} (one of {', '.join(sorted(allowed))})")
    return v


def status(value: str, vocabulary: dict) -> str:
    """Map a status through the file's vocabulary (preset or mapping) and our own words."""
    key = norm(value)
    found = vocabulary.get(key) or OUR_STATUSES.get(key)
    if not found:
        raise Invalid("is not a status stillhere knows; map it in a mapping file [appointments.statuses]")
    return found


# A date-only value that an export wrote as midnight UTC ("2026-03-10T00:00:00Z"):
# taken at its word it is the evening before in the Americas.
DATE_WITH_ZONE = re.compile(r"(\d{4}-\d{2}-\d{2})[T ]00:00(?::00(?:\.0+)?)?(?:Z|[+-]00(?::?00)?)", re.I)


def dated_with_zone(value: str) -> bool:
    value = value.strip()
    # The pattern needs "00:00" just after the date: most cells fail that cheaper test first.
    return value[11:16] == "00:00" and bool(DATE_WITH_ZONE.fullmatch(value))
def _example(fmt: str, day_only: bool = False) -> str:
    """A format in the shape a person recognises: "such as 05/03/2026 14:00",
    not "%d/%m/%Y %H:%M"."""
    try:
        return "such as " + datetime(2026, 3, 5, 14, 0).strftime(fmt)
    except ValueError:
        return "a date" if day_only else "a date and time"


def moment(value: str, tz: ZoneInfo, formats: tuple[str, ...] = (), need_time: bool = True) -> datetime:
    """ISO 8601 (with offset, or local time in the practice's zone), or one of
    the mapping file's strptime formats; returned in UTC. A date with a zone
    marker and no time of day (DATE_WITH_ZONE) is that local date."""
    v = value.strip()
    if v[11:16] == "00:00" and (m := DATE_WITH_ZONE.fullmatch(v)):
        d = date.fromisoformat(m.group(1))
        if not 1900 <= d.year <= 2200:
            raise Invalid("is not a plausible year")
        return datetime(d.year, d.month, d.day, tzinfo=tz).astimezone(timezone.utc)
    dt = None
    for fmt in formats:
        try:
            dt = datetime.strptime(v, fmt)
            break
        except ValueError:
            continue
    if dt is None:
        try:
            dt = datetime.fromisoformat(v)
        except ValueError:
            hint = _example(formats[0]) if formats else "such as 2026-03-05 14:00, or 2026-03-05T14:00:00+00:00"
            raise Invalid(f"is not a date and time (expected {hint})") from None
        if need_time and "T" not in v.upper() and " " not in v:
            raise Invalid("has a date but no time of day")
    if not 1900 <= dt.year <= 2200:
        raise Invalid("is not a plausible year")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=tz)  # local time in the practice's zone
    return dt.astimezone(timezone.utc)


def day(value: str, formats: tuple[str, ...] = ()) -> date:
    v = value.strip()
    for fmt in formats:
        try:
            return datetime.strptime(v, fmt).date()
        except ValueError:
            continue
    try:
        d = date.fromisoformat(v[:10]) if len(v) >= 10 and v[10:11] in ("", "T", " ") else date.fromisoformat(v)
    except ValueError:
        hint = _example(formats[0], True) if formats else "such as 2026-03-05 (year, month, day)"
        raise Invalid(f"is not a date (expected {hint})") from None
    if not 1900 <= d.year <= 2200:
        raise Invalid("is not a plausible year")
    return d
