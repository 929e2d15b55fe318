"""No-show probability for a booked appointment, from the facts known at a
moment: when it was booked or changed, and again in the morning scan.

Every appointment is scored the moment it is booked, first appointments and
intakes included: the features come from the booking itself and from the
client's own history across all their episodes, not from an episode that
has already started. One Ibis expression (`scores`) serves the booking path,
the morning scan, the practice's own fit (calibration.py) and the benchmark,
on SQLite, PostgreSQL and DuckDB alike.

The score is a readable logistic sum, in log-odds:
- lead time (calendar days from booking to the day of the session), as
  steps rather than a straight line: same-day bookings are kept far more
  often than ones made weeks ahead (Dantas et al. 2018; Daggy et al. 2010);
- the client's own share of missed sessions (no-shows and late cancels, in
  any episode), shrunk towards the norm while there are few of them, and
  the last one missed (the strongest single predictor in most studies);
- a first visit (never yet seen, or a return after an earlier episode);
- weekday and hour: small effects, Mondays and early or late slots worse;
- a reminder already sent for this appointment lowers the risk (reminders
  reduce no-shows by about a third: Guy et al. 2012), and is recorded so its
  effect can be measured;
- age where the practice holds a birth date: young adults miss more,
  older clients fewer (Dantas et al. 2018).

The default weights below work from day one; `calibration.py` refits the
base rate, the lead-time steps and how much the rest counts to the
practice's own history, and the fitted set is used only once it beats the
default on the most recent appointments it was not fitted on.
"""

import math
from dataclasses import dataclass, field

import ibis

from stillhere.features.episode import CANCELS, event_s
from stillhere.features.sources import DAY

MODEL_VERSION = "noshow-2"

# Lead time in calendar days -> the step it falls in (lower bound, key).
LEAD_STEPS = ((0, "same_day"), (1, "next_day"), (2, "days_2_3"), (4, "days_4_7"), (8, "weeks_1_2"),
              (15, "weeks_2_4"), (29, "over_4_weeks"))
LEAD_WORDS = {"same_day": "Booked the same day", "next_day": "Booked the day before",
              "days_2_3": "Booked 2–3 days ahead", "days_4_7": "Booked 4–7 days ahead",
              "weeks_1_2": "Booked 1–2 weeks ahead", "weeks_2_4": "Booked 2–4 weeks ahead",
              "over_4_weeks": "Booked more than 4 weeks ahead"}

NORM_RATE = 0.10      # share of missed bookings the shrinkage pulls a client's own rate towards
PRIOR_WEIGHT = 3.0    # how many sessions' worth of evidence that norm counts for


@dataclass(frozen=True)
class Weights:
    """One full set of log-odds. `rest` scales every signal but the base and
    lead time: the practice's fit says how much they count there."""

    base: float = -2.2                     # about 10% for a week-ahead booking of an average client
    lead: dict = field(default_factory=lambda: {
        "same_day": -1.4, "next_day": -0.6, "days_2_3": -0.25, "days_4_7": 0.0, "weeks_1_2": 0.15,
        "weeks_2_4": 0.3, "over_4_weeks": 0.45})
    rest: float = 1.0
    version: str = MODEL_VERSION
    use_age: bool = False                  # the practice's choice (Practice.age_in_noshow_risk), off by default
    # The practice's own imported signals (ingest.AppointmentSignal) and the
    # log-odds per unit its fit learned for each: empty in the default, so
    # only a fitted score ever reads one.
    extra: dict = field(default_factory=dict)

    def key(self) -> tuple:
        return (self.version, round(self.base, 6), tuple(round(self.lead[k], 6) for _, k in LEAD_STEPS),
                round(self.rest, 6), self.use_age, tuple(sorted((k, round(v, 6)) for k, v in self.extra.items())))


DEFAULT = Weights()

W = {
    "own_rate": 4.0,          # per unit of (shrunk missed share - norm)
    "missed_last": 0.7,
    "first_visit": 0.35,
    "returning": 0.2,         # first session of a new episode after an earlier one
    "reminded": -0.4,
    "monday": 0.1,
    "edge_hours": 0.15,
    "young": 0.3,             # under 25 on the day
    "older": -0.35,           # 65 or over
}
SIGNALS = ("lead", *W)

# Events that count towards a client's history: sessions that were due.
COUNTED = ("attended", "no_show", "late_cancel")
MISSED = ("no_show", "late_cancel")


def upcoming_appointments(src, as_of_s: int) -> ibis.Table:
    """Every appointment booked before `as_of_s`, starting at or after it and
    not cancelled by then: a filter, no aggregate, so it is cheap anywhere."""
    T = ibis.literal(int(as_of_s), "int64")
    a = src.appointments
    booked_s = a.booked_s.fill_null(a.start_s - 7 * DAY)
    # A cancellation the record gives no time for is taken as already made:
    # the record says so now, so a scan never scores a cancelled session
    # still to come (no outcome will ever judge that score).
    cancelled = a.status.isin(CANCELS) & (a.cancelled_s.isnull() | (a.cancelled_s < T))
    return a.filter((a.start_s >= T) & (booked_s < T) & ~cancelled).select(
        "appointment_id", "episode_id", "start_s", booked_s=booked_s, as_of_s=T)


_SQL: dict = {}   # the copies' compiled SQL, per caller's key (a scan's: its queries' key)


def portable(src, key=None, with_signals: bool = True):
    """Sources that `scores` runs on well. In the operational database
    (SQLite or PostgreSQL) the four narrow columns it reads are copied into
    an in-process DuckDB, a fraction of a second for a practice: SQLite's
    parser has a fixed depth that this query's joins exceed, and PostgreSQL
    plans the join of each appointment with its client's history over the
    sources' views as nested loops while its statistics still call the
    tables small (during an import, or in tests). DuckDB sources (snapshots,
    the simulator) are used as they are. With `key` (the same sources
    every time: a practice's scan), each copy's query is compiled once."""
    if src.backend.name == "duckdb":
        return src
    import pyarrow as pa
    from dataclasses import replace

    con = ibis.duckdb.connect()

    def copy(name, t):
        df = frame(t, None if key is None else (key, name))
        con.con.register(name, pa.Table.from_pandas(df[list(t.columns)], schema=t.schema().to_pyarrow(),
                                                     preserve_index=False))
        return con.table(name)

    a = src.appointments.select("appointment_id", "episode_id", "start_s", "booked_s", "cancelled_s", "status",
                                "episode_ended_s")
    clients = src.clients.select("client_id", *(["birth_s"] if "birth_s" in src.clients.columns else []))
    rem, sig = src.reminders, getattr(src, "signals", None) if with_signals else None
    return replace(src, appointments=copy("appointments", a),
                   episodes=copy("episodes", src.episodes.select("episode_id", "client_id", "ended_s")),
                   clients=copy("clients", clients), reminders=None if rem is None else copy("reminders", rem),
                   signals=None if sig is None else copy("signals", sig), backend=con)


def frame(expr: ibis.Table, key=None):
    """Run `expr` and return a pandas frame. In DuckDB through Arrow; on
    PostgreSQL through Django's own cursor (Ibis's Arrow path opens a named
    server-side cursor, which a Django transaction does not keep)."""
    import pandas as pd
    from ibis.formats.pandas import PandasData

    backend = expr._find_backend()
    if backend.name == "duckdb":
        return expr.to_pyarrow().to_pandas()
    sql = _SQL.get(key) if key is not None else None
    if sql is None:
        sql = str(backend.compile(expr))
        if key is not None:
            _SQL[key] = sql
    if backend.name == "pyspark":
        # Spark has no DB-API cursor, and Ibis's own path goes through
        # toPandas, row by row unless Arrow is switched on, and back to
        # Arrow: for a platform's 20 million appointments, Spark's toArrow
        # ships the columns in batches, once.
        table = backend._session.sql(sql).toArrow()
        return table.cast(expr.schema().to_pyarrow()).to_pandas()
    with backend._safe_raw_sql(sql) as cur:
        rows = cur.fetchall()
        names = [d[0] for d in cur.description]
    return PandasData.convert_table(pd.DataFrame.from_records(rows, columns=names), expr.schema())


def history_by_episode(src, as_of_s: int) -> ibis.Table:
    """Every client's sessions that counted (COUNTED) before `as_of_s`, summed
    up per client and episode: what booking_facts reads of a history for
    appointments all scored as of that one moment (a scan's). A plain filter
    and group-by, cheap in any database, and a row per episode instead of
    a row per appointment to copy out."""
    T = ibis.literal(int(as_of_s), "int64")
    a = src.appointments
    a = a.mutate(**({} if "event_s" in a.columns else {"event_s": event_s(a)}))
    a = a.filter(a.status.isin(COUNTED) & (a.event_s < T))
    ep = src.episodes.select(k_ep="episode_id", h_client="client_id")
    j = a.inner_join(ep, a.episode_id == ep.k_ep)
    came, missed = j.status == "attended", j.status.isin(MISSED)
    return j.group_by(h_client="h_client", h_episode="episode_id").agg(
        h_events=j.status.count(),
        h_missed=missed.count(where=missed),
        h_attended=came.count(where=came),
        h_last_event_s=j.event_s.max(),
        h_last_missed_s=ibis.ifelse(missed, j.event_s, ibis.null("int64")).max(),
    )


def _facts_from_summaries(m: ibis.Table, history: ibis.Table) -> ibis.Table:
    """booking_facts' counts from per-episode summaries: sums of counts, the
    latest of latest times. The appointment itself is never among them: it
    starts at or after the moment and is not cancelled before it, so it has
    not yet become a fact (upcoming_appointments), which is what booking_facts
    excludes it for."""
    j = m.left_join(history, m.client_id == history.h_client)
    here = j.h_episode == j.episode_id

    def total(col):
        return col.sum().cast("int64").fill_null(0)

    return j.group_by(["appointment_id", "episode_id", "client_id", "start_s", "booked_s", "as_of_s",
                       "birth_s"]).agg(
        n_events=total(j.h_events),
        n_missed=total(j.h_missed),
        n_attended=total(j.h_attended),
        n_attended_here=total(ibis.ifelse(here, j.h_attended, 0)),
        last_event_s=j.h_last_event_s.max(),
        last_missed_s=j.h_last_missed_s.max(),
    )


def signal_values(src, facts: ibis.Table, names) -> ibis.Table:
    """Add s_<name>, each appointment's imported signal (null where the
    export had none), for the names a fitted score reads."""
    names = sorted(set(names))
    if not names:
        return facts
    sig = getattr(src, "signals", None)
    if sig is None:
        return facts.mutate(**{f"s_{n}": ibis.null("float64") for n in names})
    sig = sig.filter(sig.name.isin(names))
    wide = sig.group_by(k_sig="appointment_id").agg(
        **{f"s_{n}": ibis.ifelse(sig.name == n, sig.value, ibis.null("float64")).max() for n in names})
    return facts.left_join(wide, facts.appointment_id == wide.k_sig).drop("k_sig")


def booking_facts(src, moments: ibis.Table, history: ibis.Table | None = None) -> ibis.Table:
    """What was known of each appointment in `moments` at its `as_of_s`.

    `moments` has appointment_id, episode_id, start_s, booked_s and as_of_s
    (a constant for a scan, the booking time for a backtest). The client's
    history is gathered across all their episodes, so a returning client's
    intake is scored with what happened last time; only events dated before
    `as_of_s` are read, so a backtest is honest.

    `history`: the clients' histories already summed up per episode as of
    the one moment every row of `moments` shares (`history_by_episode`, a
    scan's), instead of read from every appointment (scan_copy says why).
    """
    ep = src.episodes.select(k_ep="episode_id", client_id="client_id")
    m = moments.inner_join(ep, moments.episode_id == ep.k_ep).drop("k_ep")
    if "birth_s" in src.clients.columns:
        c = src.clients.select(k_client="client_id", birth_s="birth_s")
        m = m.left_join(c, m.client_id == c.k_client).drop("k_client")
    else:
        m = m.mutate(birth_s=ibis.null("int64"))
    if history is not None:
        return _with_reminders(src, moments, _facts_from_summaries(m, history))

    a = src.appointments
    a = a.mutate(**({} if "event_s" in a.columns else {"event_s": event_s(a)}))
    hist = a.filter(a.status.isin(COUNTED)).select(
        h_id="appointment_id", h_episode="episode_id", h_event_s="event_s", h_status="status")
    hist = hist.inner_join(ep, hist.h_episode == ep.k_ep).drop("k_ep").rename(h_client="client_id")
    wanted = m.select(w_client="client_id").distinct()
    hist = hist.inner_join(wanted, hist.h_client == wanted.w_client).drop("w_client")

    j = m.left_join(hist, [m.client_id == hist.h_client, hist.h_event_s < m.as_of_s,
                           hist.h_id != m.appointment_id])
    came = j.h_status == "attended"
    missed = j.h_status.isin(MISSED)
    here = j.h_episode == j.episode_id

    def count(cond):
        return cond.count(where=cond)

    facts = j.group_by(["appointment_id", "episode_id", "client_id", "start_s", "booked_s", "as_of_s",
                        "birth_s"]).agg(
        n_events=count(j.h_status.notnull()),
        n_missed=count(missed),
        n_attended=count(came),
        n_attended_here=count(came & here),
        last_event_s=j.h_event_s.max(),
        last_missed_s=ibis.ifelse(missed, j.h_event_s, ibis.null("int64")).max(),
    )
    return _with_reminders(src, moments, facts)


def _with_reminders(src, moments: ibis.Table, facts: ibis.Table) -> ibis.Table:
    rem = getattr(src, "reminders", None)
    if rem is None:
        return facts.mutate(n_reminders=ibis.literal(0, "int64"))
    # Reminders handed off for this appointment before the as-of time.
    r = moments.select(r_id="appointment_id", r_as_of="as_of_s")
    r = r.inner_join(rem, [r.r_id == rem.appointment_id, rem.sent_s < r.r_as_of])
    r = r.group_by("r_id").agg(r_n=r.r_id.count())
    facts = facts.left_join(r, facts.appointment_id == r.r_id).drop("r_id")
    return facts.mutate(n_reminders=facts.r_n.fill_null(0)).drop("r_n")


def scores(src, moments: ibis.Table, weights: Weights = DEFAULT, utc_offset_s: int = 0,
           signals=(), history: ibis.Table | None = None) -> ibis.Table:
    """The no-show probability of each appointment in `moments`, with each
    signal's part in it (`n_<signal>`) for the reasons in words. `signals`:
    imported signals to add as s_<name> (the fit reads them); those the
    weights have a weight for count in the score. `history`: see booking_facts."""
    f = signal_values(src, booking_facts(src, moments, history), set(signals) | set(weights.extra))
    local = f.start_s + utc_offset_s
    day = (local / DAY).floor().cast("int64")
    lead_days = ibis.greatest(day - ((f.booked_s + utc_offset_s) / DAY).floor().cast("int64"), 0)
    weekday = (day + 3) % 7        # 1970-01-01 was a Thursday
    secs = local - day * DAY
    hour = (secs / 3600).floor().cast("int64")
    timed = secs != 0              # a date-only appointment sits at local midnight: no hour to read
    lead_part = ibis.literal(weights.lead[LEAD_STEPS[-1][1]], "float64")
    for lo, key in reversed(LEAD_STEPS[:-1]):
        nxt = next(b for b, _ in LEAD_STEPS if b > lo)
        lead_part = ibis.ifelse(lead_days < nxt, ibis.literal(weights.lead[key], "float64"), lead_part)

    own = (f.n_missed.cast("float64") + NORM_RATE * PRIOR_WEIGHT) / (f.n_events.cast("float64") + PRIOR_WEIGHT)
    age = (f.start_s - f.birth_s) / (365.25 * DAY)

    def on(cond, weight):
        # A flag times its weight: a bare 0.7 in a CASE is an exact decimal
        # to DuckDB and PostgreSQL, and the score would follow.
        return cond.fill_null(False).cast("int32").cast("float64") * (weight * weights.rest)

    parts = {
        "lead": lead_part,
        "own_rate": (own - NORM_RATE) * (W["own_rate"] * weights.rest),
        "missed_last": on(f.last_missed_s.notnull() & (f.last_missed_s == f.last_event_s), W["missed_last"]),
        "first_visit": on(f.n_attended == 0, W["first_visit"]),
        "returning": on((f.n_attended_here == 0) & (f.n_attended > 0), W["returning"]),
        "reminded": on(f.n_reminders > 0, W["reminded"]),
        "monday": on(weekday == 0, W["monday"]),
        "edge_hours": on(timed & ((hour < 9) | (hour >= 18)), W["edge_hours"]),
        # Age counts only where the practice turned it on: a demographic is its choice.
        "young": on(age < 25, W["young"]) if weights.use_age else ibis.literal(0.0, "float64"),
        "older": on(age >= 65, W["older"]) if weights.use_age else ibis.literal(0.0, "float64"),
    }
    rest = sum(v for k, v in parts.items() if k != "lead")
    # The practice's own signals, as its fit weighed them (none in the default).
    own_signals = sum((f[f"s_{k}"].fill_null(0.0) * float(w) for k, w in sorted(weights.extra.items())),
                      ibis.literal(0.0, "float64"))
    f = f.mutate(**{f"n_{k}": v for k, v in parts.items()}, lead_days=lead_days, own_rate=own,
                 n_rest=rest, n_logit=weights.base + lead_part + rest + own_signals)
    return f.mutate(noshow_risk=1.0 / (1.0 + (-f.n_logit).exp()))


COLUMNS = ["appointment_id", "episode_id", "start_s", "as_of_s", "noshow_risk", "n_logit", "n_rest",
           *(f"n_{k}" for k in SIGNALS), "lead_days", "n_events", "n_missed", "n_attended", "n_reminders"]


def reasons(row: dict, limit: int = 2) -> list[str]:
    """The biggest reasons, in words, that this appointment may be missed."""
    out = []
    for key in sorted(SIGNALS, key=lambda k: -row[f"n_{k}"]):
        if row[f"n_{key}"] <= 0.15:
            continue
        if key == "lead":
            days = int(row["lead_days"])
            out.append(f"Booked {days} days ahead" if days > 1 else LEAD_WORDS[lead_step(days)])
        elif key == "own_rate":
            out.append(f"Missed or cancelled late {int(row['n_missed'])} of {int(row['n_events'])} sessions so far")
        elif key == "missed_last":
            out.append("Missed the last session")
        elif key == "first_visit":
            out.append("First appointment")
        elif key == "returning":
            out.append("First session after coming back")
        elif key == "edge_hours":
            out.append("Early or late in the day")
        elif key == "young":
            out.append("Younger clients miss more often")
    return out[:limit]


def lead_step(days: int) -> str:
    key = LEAD_STEPS[0][1]
    for lo, k in LEAD_STEPS:
        if days >= lo:
            key = k
    return key


def probability(logit: float) -> float:
    return 1.0 / (1.0 + math.exp(-logit))


__all__ = ["scores", "booking_facts", "history_by_episode", "upcoming_appointments", "reasons", "Weights", "DEFAULT", "W",
           "SIGNALS", "LEAD_STEPS", "COLUMNS", "MODEL_VERSION"]
