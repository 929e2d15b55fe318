"""The day-one dropout model: a logistic score a clinician can read.

risk = 1 / (1 + exp(-(BASE + sum of signal weights))), the probability that
the episode ends without goodbye in the next 30 days. Each signal adds a
fixed number of log-odds, so every score comes with its reasons in words,
largest first. The weights are set from the literature and our users'
accounts (the seeds), then the intercept is checked against the simulator
(`bench/risk_quality.py`); a practice's own history can refit them later.

Sources for the direction and rough size of each weight:
- Early treatment: most premature endings happen in the first sessions
  (Swift & Greenberg 2012; Barrett et al. 2008).
- Missed and late-cancelled sessions, and lateness, precede dropout
  (Dantas et al. 2018 on no-shows; seeds: "several weeks in, a no-show").
- A cancellation with no rebooking, and a gap longer than the client's own
  rhythm: the quiet way clients leave (seeds: the client who cancelled and
  never rebooked).
- Falling or low alliance (SRS below 36) predicts dropout; PCOMS feedback
  reduces it (Duncan et al. 2003; Lambert & Shimokawa 2011).
- Not on track (no reliable ORS change) is a feedback-informed-care warning
  (Lambert 2013).
- A hard session or a rupture left unnamed (Safran & Muran 2000; seeds:
  "too much, too soon").
- Conflict-avoidant, avoidant and people-pleasing clients tend to leave
  rather than voice discomfort (seeds).
Demographic inputs are deliberately absent.
"""

from dataclasses import dataclass
from datetime import datetime, timezone

import ibis

MODEL_VERSION = "default-1"
BASE = -5.2

# Bands against the typical 30-day risk of an open episode (about 6% in
# practices at the published dropout rate): "medium" is above the norm,
# "high" about three times it.
BANDS = ((0.20, "high"), (0.08, "medium"), (0.0, "low"))


@dataclass(frozen=True)
class Signal:
    key: str
    weight: float


# Weights in log-odds; documented above. Only one of the early-session,
# and one of the gap signals, applies at a time.
SIGNALS = {
    "first_session": 1.2,
    "early_sessions": 0.8,
    "early_weeks": 0.3,
    "missed_open": 1.5,
    "recent_missed": 0.4,        # per missed session in the last eight weeks, up to three
    "late_arrival": 0.5,
    "cancel_no_rebook": 0.5,
    "gap_long": 1.2,
    "gap_very_long": 1.8,
    "nothing_booked": 0.6,
    "alliance_low": 0.2,         # per SRS point below 36, up to ten points
    "alliance_drop": 0.3,
    "not_on_track": 0.5,
    "hard_session": 0.7,
    "rupture": 0.7,
    "avoidant": 0.4,
    "conflict_avoidant": 0.3,
    "people_pleasing": 0.25,
}


def contributions(f: ibis.Table) -> dict:
    """Ibis expressions, one per signal: its log-odds contribution (0 when absent)."""
    W = SIGNALS
    n = f.session_number
    gap_ratio = f.days_since_contact / f.cadence_days
    zero = ibis.literal(0.0)

    def on(cond, weight):
        # A flag times its weight, not CASE WHEN ... THEN 1.2: DuckDB and
        # PostgreSQL read a bare 1.2 as an exact decimal, and every sum and
        # result column downstream would follow.
        return cond.fill_null(False).cast("int32").cast("float64") * weight

    return {
        "first_session": on(n <= 1, W["first_session"]),
        "early_sessions": on((n >= 2) & (n <= 3), W["early_sessions"]),
        "early_weeks": on((n >= 4) & (n <= 6), W["early_weeks"]),
        "missed_open": on(f.missed_open, W["missed_open"]),
        "recent_missed": ibis.least(f.recent_missed, 3).cast("float64") * W["recent_missed"],
        "late_arrival": on(f.max_late_recent >= 15, W["late_arrival"]),
        "cancel_no_rebook": on(f.cancel_no_rebook, W["cancel_no_rebook"]),
        "gap_long": on((gap_ratio > 1.5) & (gap_ratio <= 2.5) & ~f.has_next & ~f.in_break, W["gap_long"]),
        "gap_very_long": on((gap_ratio > 2.5) & ~f.has_next & ~f.in_break, W["gap_very_long"]),
        "nothing_booked": on(~f.has_next & ~f.in_break, W["nothing_booked"]),
        "alliance_low": ibis.ifelse(f.alliance_low, ibis.least(36.0 - f.srs_latest, 10.0) * W["alliance_low"], zero),
        "alliance_drop": on(f.alliance_drop, W["alliance_drop"]),
        "not_on_track": on(f.not_on_track, W["not_on_track"]),
        "hard_session": on(f.hard_recent > 0, W["hard_session"]),
        "rupture": on(f.rupture_recent > 0, W["rupture"]),
        "avoidant": on(f.avoidant > 0, W["avoidant"]),
        "conflict_avoidant": on(f.conflict_avoidant > 0, W["conflict_avoidant"]),
        "people_pleasing": on(f.people_pleasing > 0, W["people_pleasing"]),
    }


def score(f: ibis.Table) -> ibis.Table:
    """Add c_<signal> columns, `logit` and `risk` to a features table."""
    parts = contributions(f)
    logit = BASE + sum(parts.values())
    f = f.mutate(**{f"c_{k}": v for k, v in parts.items()}, logit=logit)
    return f.mutate(risk=1.0 / (1.0 + (-f.logit).exp()))


def band(risk: float) -> str:
    return next(name for cut, name in BANDS if risk >= cut)


def _date(epoch_s, tz) -> str:
    d = datetime.fromtimestamp(int(epoch_s), timezone.utc).astimezone(tz)
    return f"{d.day} {d:%b}"


def reasons(row: dict, tz=timezone.utc, limit: int = 3) -> list[str]:
    """The top contributing signals of one scored row, in plain words."""
    ranked = sorted(((row[f"c_{k}"], k) for k in SIGNALS), reverse=True)
    words = [_words(k, row, tz) for c, k in ranked if c > 0]
    return words[:limit]


def _words(key: str, r: dict, tz) -> str:
    n = int(r["session_number"])
    if key == "first_session":
        return "Has come to one session so far" if n == 1 else "Has not yet come to a first session"
    if key == "early_sessions":
        return f"Early in therapy: {n} sessions so far"
    if key == "early_weeks":
        return f"Still in the early weeks: {n} sessions so far"
    if key == "missed_open":
        kind = "Late cancel" if r.get("last_missed_late") else "No-show"
        return f"{kind} on {_date(r['last_missed_s'], tz)}, no word since"
    if key == "recent_missed":
        return f"{int(r['recent_missed'])} of the last {int(r['recent_events'])} sessions missed (8 weeks)"
    if key == "late_arrival":
        return f"Arrived {int(r['max_late_recent'])} minutes late recently"
    if key == "cancel_no_rebook":
        return f"Cancelled on {_date(r['last_cancel_s'], tz)} and has not rebooked"
    if key in ("gap_long", "gap_very_long"):
        return (f"{int(r['days_since_contact'])} days since the last session; "
                f"usual gap is {round(r['cadence_days'])} days")
    if key == "nothing_booked":
        return "Nothing booked"
    if key == "alliance_low":
        return f"Session rating {r['srs_latest']:g}, below 36"
    if key == "alliance_drop":
        return f"Session rating fell from {r['srs_prev']:g} to {r['srs_latest']:g}"
    if key == "not_on_track":
        return "No reliable progress on outcome ratings yet"
    if key == "hard_session":
        return "A hard session in the last two weeks"
    if key == "rupture":
        return "A rupture noticed in the last two weeks"
    return {"avoidant": "Noted as avoidant", "conflict_avoidant": "Noted as conflict-avoidant",
            "people_pleasing": "Noted as people-pleasing"}[key]
