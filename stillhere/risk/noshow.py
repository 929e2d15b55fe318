"""No-show probability for every upcoming appointment, in the same readable
logistic form as the dropout score, so tomorrow's likely no-shows can get a
warm reminder.

Weights (log-odds) and where they come from:
- lead time between booking and session: one of the strongest, most
  consistent predictors (Dantas et al. 2018 review);
- the client's own history of no-shows and late cancels, shrunk towards the
  practice norm when there are few sessions (Dantas et al. 2018);
- the last booked session missed, a first appointment, a long gap since the
  last session, a falling alliance: the same engagement signals as dropout;
- weekday and hour: small effects, Mondays and early or late slots slightly
  worse (Dantas et al. 2018 report mixed but mostly small effects).
"""

import ibis

from stillhere.features.sources import DAY

BASE = -2.45
NORM_RATE = 0.09     # practice-wide share of missed bookings the shrinkage pulls towards
PRIOR_WEIGHT = 4.0   # how many sessions' worth of evidence that norm counts for

W = {
    "lead_weeks": 0.12,       # per week booked ahead, up to 8
    "own_rate": 4.5,          # per unit of (shrunk missed share - norm)
    "missed_last": 0.8,
    "first_appointment": 0.5,
    "long_gap": 0.3,
    "alliance": 0.3,
    "monday": 0.1,
    "edge_hours": 0.1,
}


def upcoming_appointments(src, as_of_s: int) -> ibis.Table:
    """Every appointment booked before `as_of_s`, starting at or after it and
    not cancelled by then: a filter, no aggregate, so it is cheap anywhere."""
    T = ibis.literal(int(as_of_s), "int64")
    a = src.appointments
    booked_s = a.booked_s.fill_null(a.start_s - 7 * DAY)
    cancelled = a.status.isin(("cancelled", "late_cancel", "rescheduled", "clinician_cancelled")) & (
        a.cancelled_s.fill_null(a.start_s) < T)
    return a.filter((a.start_s >= T) & (booked_s < T) & ~cancelled).select(
        "appointment_id", "episode_id", "start_s", booked_s=booked_s)


def noshow_scores(upcoming: ibis.Table, features: ibis.Table, utc_offset_s: int = 0) -> ibis.Table:
    """One row per upcoming appointment (upcoming_appointments) of an episode
    in `features`: the episode's features are computed once, for the dropout
    score, and reused here instead of aggregated a second time."""
    up = upcoming.rename(k_ep="episode_id")
    f = features.select("episode_id", "session_number", "n_no_show", "n_late_cancel", "n_events",
                        "missed_open", "days_since_contact", "cadence_days", "alliance_low", "alliance_drop")
    j = up.inner_join(f, up.k_ep == f.episode_id).drop("k_ep")
    lead_weeks = ibis.least((j.start_s - j.booked_s) / (7 * DAY), 8.0)
    missed = (j.n_no_show + j.n_late_cancel).cast("float64")
    own = (missed + NORM_RATE * PRIOR_WEIGHT) / (j.n_events.cast("float64") + PRIOR_WEIGHT)
    local = j.start_s + utc_offset_s
    weekday = ((local / DAY).floor().cast("int64") + 3) % 7        # 1970-01-01 was a Thursday
    hour = ((local % DAY) / 3600).floor().cast("int64")
    def on(cond, weight):
        # A flag times its weight: a bare 0.8 in a CASE is an exact decimal
        # to DuckDB and PostgreSQL, and the score would follow.
        return cond.fill_null(False).cast("int32").cast("float64") * weight

    parts = {
        "lead_weeks": lead_weeks * W["lead_weeks"],
        "own_rate": (own - NORM_RATE) * W["own_rate"],
        "missed_last": on(j.missed_open, W["missed_last"]),
        "first_appointment": on(j.session_number == 0, W["first_appointment"]),
        "long_gap": on(j.days_since_contact > 1.5 * j.cadence_days, W["long_gap"]),
        "alliance": on(j.alliance_low | j.alliance_drop, W["alliance"]),
        "monday": on(weekday == 0, W["monday"]),
        "edge_hours": on((hour < 9) | (hour >= 18), W["edge_hours"]),
    }
    j = j.mutate(**{f"n_{k}": v for k, v in parts.items()}, lead_days=(j.start_s - j.booked_s) / DAY,
                 own_rate=own, n_logit=BASE + sum(parts.values()))
    return j.mutate(noshow_risk=1.0 / (1.0 + (-j.n_logit).exp()))


def reasons(row: dict, limit: int = 2) -> list[str]:
    """The biggest reasons, in words, that this appointment may be missed."""
    out = []
    for key in sorted(W, key=lambda k: -row[f"n_{k}"]):
        if row[f"n_{key}"] <= 0.15:
            continue
        if key == "lead_weeks":
            out.append(f"Booked {round(row['lead_days'])} days ahead")
        elif key == "own_rate":
            n = int(row["n_no_show"] + row["n_late_cancel"])
            out.append(f"Missed or cancelled late {n} of {int(row['n_events'])} sessions so far")
        elif key == "missed_last":
            out.append("Missed the last session")
        elif key == "first_appointment":
            out.append("First appointment")
        elif key == "long_gap":
            out.append("A long gap since the last session")
        elif key == "alliance":
            out.append("Session rating is low or falling")
    return out[:limit]
