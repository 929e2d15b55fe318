"""Engagement state from the facts, as one Ibis expression over scored features.

The rules, first match wins:
- the episode has an end date on or before now: its ended state;
- a final session was attended and nothing was attended or is still booked
  after it (nor is a later session's outcome still unknown): `ended_planned`
  as of that session (scan.py records it, and the episode's end with it);
- a missed session (no-show or late cancel) with no word since:
  - with a current safety concern: `missed` with a same-day safety check,
    never a waiting period;
  - otherwise `missed` while the missed session is recent;
- nothing booked, no planned break, and the gap since the last session (or
  the last word from the client: a call logged as spoken, a reply, a
  response-page answer) is longer than the client's own rhythm times the
  practice's lapse factor (never less than MIN_LAPSE_DAYS): `lapsed`;
- a cancellation with no rebooking yet, or a high dropout risk: `watch`;
- otherwise `active`.

A past appointment still "scheduled" is an outcome not recorded yet: for
the practice's `outcome_days` after it, it holds back `lapsed`, and `missed`
for a miss before it (the client may have come), so nobody is sent outreach
on a record that lags. After that it counts as usual (neither attended nor
missed). A same-day safety check is never held back.

Each derived state comes with a reason code and the moment it began (`at`),
so a transition recorded a week late still says when it really happened.
States set by people or by outreach (reaching out, re-engaged, returned,
overrides) are reconciled with these in scan.py.
"""

from dataclasses import dataclass

import ibis

from stillhere.engagement.defaults import DEFAULT_LAPSE_FACTOR, DEFAULT_OUTCOME_DAYS, DEFAULT_WAITING_DAYS
from stillhere.features.sources import DAY

MIN_LAPSE_DAYS = 21
MISSED_HOLDS_DAYS = 14       # a missed session stays "missed" at least this long before it is a lapse
WATCH_RISK = 0.20            # the "high" band

END_STATE = {"no_goodbye": "ended_no_goodbye", "by_client": "ended_by_client"}
FINAL_SESSION = "final_session"            # ended as planned, at an attended final session
OUTCOME_NOT_RECORDED = "outcome_not_recorded"


@dataclass(frozen=True)
class Rules:
    waiting_days: int = DEFAULT_WAITING_DAYS
    lapse_factor: float = DEFAULT_LAPSE_FACTOR
    outcome_days: int = DEFAULT_OUTCOME_DAYS

    @classmethod
    def for_practice(cls, practice) -> "Rules":
        return cls(waiting_days=practice.waiting_days, lapse_factor=practice.lapse_factor,
                   outcome_days=practice.outcome_days)


def derive(f: ibis.Table, rules: Rules = Rules()) -> ibis.Table:
    """Add derived_state, derived_reason, derived_at_s, safety_check."""
    T = f.as_of_s
    lapse_days = ibis.greatest(f.cadence_days * rules.lapse_factor, MIN_LAPSE_DAYS)
    last_contact_s = f.last_attended_s.fill_null(f.started_s)
    ended = f.ended_by_now
    pending = f.last_unrecorded_s.notnull() & (f.last_unrecorded_s > T - rules.outcome_days * DAY)
    zero = ibis.literal(0, "int64")
    planned = f.planned_end_s.notnull() & ~(pending & (f.last_unrecorded_s > f.planned_end_s))
    safety_missed = f.missed_open & f.safety
    holds_days = ibis.greatest(lapse_days, MISSED_HOLDS_DAYS)
    missed = (f.missed_open & (f.days_since_missed <= holds_days)
              & ~(pending & (f.last_unrecorded_s > f.last_missed_s.fill_null(zero))))
    # Word from the client (a call logged as spoken, a reply, a response-page
    # answer) restarts the lapse clock as a session does: they are not quiet.
    word_s = f.last_word_s.fill_null(zero)
    # An unanswered missed session becomes a lapse only once "missed" has run its course.
    # floor() first: SQLite's CAST truncates a fraction where DuckDB and
    # PostgreSQL round it, and the moment a lapse began must not depend on that.
    lapse_at = ibis.greatest(ibis.greatest(last_contact_s, word_s) + (lapse_days * DAY).floor().cast("int64"),
                             ibis.ifelse(f.missed_open, f.last_missed_s + (holds_days * DAY).floor().cast("int64"), 0))
    heard = (T - word_s) <= (lapse_days * DAY)
    lapsed = ~f.has_next & ~f.in_break & (f.days_since_contact > lapse_days) & ~pending & ~heard
    watch_cancel = f.cancel_no_rebook & ~f.in_break
    watch_risk = f.risk >= WATCH_RISK

    end_state = f.end_reason.cases(*END_STATE.items(), else_="ended_planned")
    missed_reason = ibis.ifelse(f.last_missed_late, "late_cancel", "no_show")
    state = ibis.cases(
        (ended, end_state), (planned, "ended_planned"), (safety_missed, "missed"), (missed, "missed"),
        (lapsed, "lapsed"), (watch_cancel, "watch"), (watch_risk, "watch"), else_="active",
    )
    reason = ibis.cases(
        (ended, f.end_reason), (planned, FINAL_SESSION), (safety_missed, "safety_no_show"), (missed, missed_reason),
        (lapsed, ibis.ifelse(f.cancel_no_rebook, "cancel_no_rebook", "gap_beyond_cadence")),
        (watch_cancel, "cancel_no_rebook"), (watch_risk, "high_risk"), (pending, OUTCOME_NOT_RECORDED),
        else_="attending",
    )
    at = ibis.cases(
        (ended, f.ended_s), (planned, f.planned_end_s), (safety_missed, f.last_missed_s), (missed, f.last_missed_s),
        (lapsed, lapse_at),
        (watch_cancel, f.last_cancel_s), else_=T,
    )
    return f.mutate(derived_state=state, derived_reason=reason, derived_at_s=at.cast("int64"),
                    safety_check=safety_missed, lapse_days=lapse_days, outcome_pending=pending)
