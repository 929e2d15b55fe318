"""Decide an episode's next state from its current one and the derived one.

The facts alone give `derived_state` (rules.py). People and outreach also
move episodes, and the scan must respect that:

- an ended episode stays ended (a return is a new episode); an attended
  final session with nothing after it ends the episode as planned. The one
  exception: an ending the scan itself drew from a final session, when the
  same episode (an export's explicit episode id) later has a session
  attended or booked after that day: the final session was not the last,
  and the episode is open again (`re_engaged`);
- a clinician's override holds until something new happens (a session, a
  missed session, a cancellation or a booking after the override);
- `missed`, `lapsed` and `reaching_out` become `re_engaged` when the client
  comes to a session, books one, or is heard from (a call logged as spoken,
  a reply, a response-page answer) after the trouble began; `reaching_out`
  otherwise belongs to outreach and is left alone;
- a missed session that becomes a safety check (the concern was noted
  after the miss) is recorded again as `missed`, now with the same-day
  check, also while outreach runs (outreach then starts the safety call);
- `re_engaged` holds for RE_ENGAGED_DAYS unless new trouble starts;
- `returned` (a new episode after an earlier one) holds until the first
  session of the new episode.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from stillhere.clients.models import Episode
from stillhere.risk.default_model import _words

from .rules import FINAL_SESSION, OUTCOME_NOT_RECORDED
from .transitions import ENDED

S = Episode.State
RE_ENGAGED_DAYS = 28
TROUBLE = {S.MISSED, S.LAPSED, S.REACHING_OUT}


@dataclass
class Target:
    state: str
    reason: str
    detail: str
    at: datetime
    safety_check: bool = False


def _dt(epoch_s) -> datetime:
    return datetime.fromtimestamp(int(epoch_s), dt_timezone.utc)


def _s(value) -> int:
    """Epoch seconds of a nullable feature (NaN/None -> 0)."""
    return 0 if value is None or value != value else int(value)


def latest_fact_s(row: dict) -> int:
    return max(_s(row[k]) for k in ("last_attended_s", "last_missed_s", "last_cancel_s", "last_booking_made_s"))


def decide(episode: Episode, row: dict, as_of: datetime, override_at: datetime | None = None,
           tz=dt_timezone.utc, checking_safety: bool | None = None, last_by_time=...) -> Target | None:
    """The state the episode should move to, or None to leave it as it is.
    `episode` needs only pk, state and state_since (the scan passes a light
    row); `checking_safety`: whether its latest change already asks for a
    safety check, and `last_by_time`: its latest change by time (new_state,
    source, reason; None if none), when the caller has read them for every
    episode at once."""
    cur, derived = episode.state, row["derived_state"]
    if cur in ENDED:
        return _came_back_after_final(episode, row, tz, last_by_time)
    if derived in ENDED and row["derived_reason"] == FINAL_SESSION:
        day = f"{_dt(row['derived_at_s']).astimezone(tz):%-d %b}"
        return Target(derived, Episode.EndReason.PLANNED, f"Final session on {day}: ended as planned",
                      _dt(row["derived_at_s"]))
    if derived in ENDED:
        label = Episode.EndReason(row["end_reason"]).label if row["end_reason"] else "ended"
        return Target(derived, row["end_reason"] or "ended", f"Episode recorded as ended: {label.lower()}",
                      _dt(row["derived_at_s"]))
    if override_at and latest_fact_s(row) <= override_at.timestamp():
        return None
    since_s = int(episode.state_since.timestamp()) if episode.state_since else 0
    if row["safety_check"] and cur in (S.MISSED, S.REACHING_OUT) and not (
            _checking_safety(episode) if checking_safety is None else checking_safety):
        # A safety concern noted after the miss (an import, the client page):
        # the same-day check now, even while outreach is already running.
        return Target(S.MISSED, "safety_no_show", detail_for(row, tz), _dt(row["derived_at_s"]), True)

    if cur in TROUBLE:
        came, booked = _s(row["last_attended_s"]), _s(row["last_booking_made_s"])
        word = _s(row.get("last_word_s"))   # a call logged as spoken, a reply, a response-page answer
        if max(came, booked, word) > since_s and derived not in (S.MISSED, S.LAPSED):
            if came >= max(booked, word):
                return Target(S.RE_ENGAGED, "attended", "Came to a session after the gap", _dt(came))
            if booked >= word:
                return Target(S.RE_ENGAGED, "rebooked", "Booked a new session", _dt(booked))
            return Target(S.RE_ENGAGED, "word", "Heard from them after the missed session", _dt(word))
        if cur == S.REACHING_OUT:
            return None
    elif cur == S.RE_ENGAGED:
        if derived not in (S.MISSED, S.LAPSED) and as_of - timedelta(days=RE_ENGAGED_DAYS) < episode.state_since:
            return None
    elif cur == S.RETURNED:
        if row["session_number"] < 1 and derived not in (S.MISSED, S.LAPSED):
            return None
    if derived == cur:
        return None
    return Target(derived, row["derived_reason"], detail_for(row, tz), _dt(row["derived_at_s"]),
                  bool(row["safety_check"]))


def _checking_safety(episode: Episode) -> bool:
    """Whether the episode's latest state change already asks for a same-day safety check."""
    from .models import StateChange

    last = (StateChange.objects.filter(episode_id=episode.pk).order_by("-id")
            .values_list("safety_check", flat=True).first())
    return bool(last)


def _came_back_after_final(episode: Episode, row: dict, tz, last=...) -> Target | None:
    """Reopen an episode the scan ended at a final session when the same
    episode has a session attended or still booked after the ending's day.
    Endings a person recorded, or an import gave, are never reopened."""
    from .models import StateChange

    if episode.state != S.ENDED_PLANNED or not _s(row.get("ended_s")) or not _s(row.get("last_kept_s")):
        return None
    if _s(row["last_kept_s"]) < _s(row["ended_s"]) + 86400:
        return None
    if last is ...:
        last = (StateChange.objects.filter(episode_id=episode.pk).order_by("-at", "-id")
                .values_list("new_state", "source", "reason").first())
    if not (last and last[0] == S.ENDED_PLANNED and last[1] == StateChange.Source.SCAN
            and last[2] == Episode.EndReason.PLANNED):
        return None
    came, kept = _s(row["last_attended_s"]), _s(row["last_kept_s"])
    ended_s = _s(row["ended_s"])
    ended = _dt(ended_s + 43200).date()   # the ending's day (ended_s is its midnight, UTC)
    if came >= kept:
        words, at = "Came to a session", came
    else:
        words, at = f"Booked for {_dt(kept).astimezone(tz):%-d %b}", _s(row["last_booking_made_s"])
    return Target(S.RE_ENGAGED, "after_final_session",
                  f"{words} after the final session on {ended:%-d %b}: the episode continues",
                  _dt(max(at, ended_s + 86400)))


def detail_for(row: dict, tz=dt_timezone.utc) -> str:
    """The reason for a derived state, in a clinician's words."""
    reason = row["derived_reason"]
    if reason == "safety_no_show":
        # The cause, named: the client's safety flag and the day it was noted
        # (features: safety_s; 0 when the flag has no date).
        missed = _words("missed_open", row, tz).split(",")[0]
        noted = _dt(_s(row.get("safety_s"))).astimezone(tz)
        flag = (f"a safety concern noted on {noted.day} {noted:%b %Y}" if _s(row.get("safety_s"))
                else "a safety concern on their record")
        return f"{missed}, with {flag}: check on their safety today"
    if reason in ("no_show", "late_cancel"):
        return _words("missed_open", row, tz)
    if reason == "gap_beyond_cadence":
        return f"{_words('gap_long', row, tz)}; nothing booked"
    if reason == "cancel_no_rebook":
        return _words("cancel_no_rebook", row, tz)
    if reason == OUTCOME_NOT_RECORDED:
        return "A past session has no outcome recorded yet"
    if reason == "high_risk":
        top = row.get("reasons") or []
        return "High risk of leaving without goodbye" + (f": {top[0]}" if top else "")
    return "Attending as usual"
