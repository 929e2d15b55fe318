"""Per-episode engagement features as of a moment, defined once in Ibis.

The same expression runs in SQLite, PostgreSQL, DuckDB (and PySpark), so a
solo therapist's laptop and a national programme get the same answers. It
uses only filters, plain aggregates and joins, so no engine has to sort tens
of millions of rows (the one window, a rating's predecessor, lives in the
sources and is paid once per snapshot).

Honest backtests: nothing dated at or after `as_of` is read. An appointment
counts as an event once it has happened (or, for a cancellation, once it was
cancelled); a future appointment counts as booked only if it had been booked
before `as_of` and not yet cancelled.

Two facts bear on endings and on what is not yet known:
- an attended session of type "final" (the optional `final` column, 0/1)
  with nothing attended or still booked after it: `planned_end_s`, the
  moment the episode ended as planned;
- a past appointment still "scheduled" (the export lags, or the session was
  not recorded): `last_unrecorded_s`, the latest such slot. It is neither a
  miss nor a booking; rules.py decides for how long it holds judgement back.
"""

from dataclasses import dataclass

import ibis

from .sources import DAY, Sources

ATTENDED = "attended"
SCHEDULED = "scheduled"
MISSED = ("no_show", "late_cancel")
CLIENT_CANCELS = ("cancelled", "late_cancel", "rescheduled")
CANCELS = CLIENT_CANCELS + ("clinician_cancelled",)
# Each status of a session that has happened (or was cancelled), as a code
# packed with its time: the latest session's status is then a plain max.
SLOT_CODES = {"attended": 0, "no_show": 1, "late_cancel": 2, "cancelled": 3, "clinician_cancelled": 4,
              "rescheduled": 5}


# A client's own flags, which a snapshot stores on each of their episodes.
CLIENT_COLUMNS = ("safety_s", "avoidant", "conflict_avoidant", "people_pleasing")


@dataclass(frozen=True)
class Windows:
    recent_days: int = 56        # "recent" attendance: the last eight weeks
    marker_days: int = 14        # a hard session or rupture weighs most in the next session or two
    default_cadence_days: float = 14.0   # before a client has a rhythm of their own
    min_cadence_days: float = 5.0
    max_cadence_days: float = 42.0
    ors_reliable_change: float = 5.0     # ORS reliable change index (Miller & Duncan 2004)
    ors_min_ratings: int = 4
    srs_cutoff: float = 36.0             # SRS below 36 signals an alliance concern
    srs_drop: float = 1.0                # a fall of one point or more from the last session


def _sum(cond):
    """How many rows meet `cond`: a filtered count, which every engine keeps
    as a plain 64-bit counter (a SUM of flags is a 128-bit one in DuckDB)."""
    return cond.count(where=cond)


def event_s(a: ibis.Table):
    """When an appointment became a fact: when it was cancelled, for a
    cancellation (when it was due, if that was not recorded); else when it
    was due. A snapshot stores it, so a scan does not work it out again."""
    return ibis.ifelse(a.status.isin(CANCELS), a.cancelled_s.fill_null(a.start_s), a.start_s)


def _max_where(cond, value):
    return ibis.ifelse(cond, value, ibis.null(value.type())).max()


def _min_where(cond, value):
    return ibis.ifelse(cond, value, ibis.null(value.type())).min()


def episode_features(src: Sources, as_of_s: int, w: Windows = Windows(),
                     ended_within_days: int | None = None) -> ibis.Table:
    """One row per episode started before `as_of_s` (epoch seconds, UTC).

    With `ended_within_days`, only episodes still open or ended that
    recently: the ones a scan acts on. Their facts are picked out before
    anything is aggregated, so years of closed episodes cost one cheap
    filter instead of a place in every aggregate.
    """
    T = ibis.literal(int(as_of_s), "int64")
    e = src.episodes.filter(src.episodes.started_s < T)
    if ended_within_days is not None:
        e = e.filter(e.ended_s.isnull() | (e.ended_s > T - ended_within_days * DAY))
    a, m = src.appointments, src.measures
    if ended_within_days is not None:
        cutoff = T - ended_within_days * DAY
        a = a.filter(a.episode_ended_s.isnull() | (a.episode_ended_s > cutoff))
        m = m.filter(m.episode_ended_s.isnull() | (m.episode_ended_s > cutoff))
    summaries = src.rating_summaries
    if summaries is not None and ended_within_days is not None:
        summaries = summaries.filter(summaries.episode_ended_s.isnull() | (summaries.episode_ended_s > cutoff))
    # Unknown booking times are taken as a week ahead, a typical lead time.
    booked_s = a.booked_s.fill_null(a.start_s - 7 * DAY)
    a = a.mutate(booked_s=booked_s, **({} if "event_s" in a.columns else {"event_s": event_s(a)}))
    # Sources without session types (an older snapshot, the simulator) have no final sessions.
    final = (a.final == 1) if "final" in a.columns else ibis.literal(False)

    # One pass over the appointments: every aggregate carries its own
    # condition, so no engine has to scan or join the biggest table twice.
    known = a.event_s < T
    came = known & (a.status == ATTENDED)
    missed = known & a.status.isin(MISSED)
    counted = known & (a.status != "clinician_cancelled")
    recent = a.event_s >= T - w.recent_days * DAY
    marked = known & (a.start_s >= T - w.marker_days * DAY)
    still_booked = (a.start_s >= T) & (a.booked_s < T) & ~(a.status.isin(CANCELS) & known)
    unrecorded = known & (a.status == SCHEDULED) & (a.booked_s < T)
    history = a.group_by("episode_id").agg(
        n_attended=_sum(came),
        n_no_show=_sum(known & (a.status == "no_show")),
        n_late_cancel=_sum(known & (a.status == "late_cancel")),
        n_events=_sum(counted),
        recent_events=_sum(counted & recent),
        recent_missed=_sum(missed & recent),
        first_attended_s=_min_where(came, a.start_s),
        last_attended_s=_max_where(came, a.start_s),
        # The last missed session, and whether it was a late cancel, in one
        # value (twice the time, plus one for a late cancel).
        last_missed_p=_max_where(missed, a.start_s * 2 + (a.status == "late_cancel").cast("int32")),
        last_cancel_s=_max_where(known & a.status.isin(CLIENT_CANCELS), a.event_s),
        max_late_recent=_max_where(came & recent, a.minutes_late),
        hard_recent=_max_where(marked, a.hard),
        rupture_recent=_max_where(marked, a.rupture),
        last_booking_made_s=_max_where(a.booked_s < T, a.booked_s),
        next_booking_s=_min_where(still_booked, a.start_s),
        n_upcoming=_sum(still_booked),
        final_s=_max_where(came & final, a.start_s),
        # The last session the client came to or is still booked for: a
        # final session before it was not the last.
        last_kept_s=_max_where(came | still_booked, a.start_s),
        last_unrecorded_s=_max_where(unrecorded, a.start_s),
        # The latest session due before T, whatever became of it, with its
        # status: the decision point the fitted model reads (risk/fitted/decision.py).
        last_slot_p=_max_where(known & (a.start_s < T) & (a.status != SCHEDULED),
                               a.start_s * 8 + _slot_code(a.status)),
        # The last session attended, with its lateness and markers.
        last_came_p=_max_where(came, a.start_s * 4096 + ibis.least(a.minutes_late.fill_null(0), 1023) * 4
                               + a.hard.fill_null(0) + a.rupture.fill_null(0) * 2),
    )

    ratings = _rating_features(m, T, summaries)

    br = src.breaks
    br = br.filter((br.starts_s <= T) & (br.ends_s > T))
    breaks = br.group_by("episode_id").agg(in_break=br.count())

    # Word from the client (a call logged as spoken, a reply, a response-page
    # answer): contact after a missed session, as much as a booking is.
    parts = [history, ratings, breaks]
    if src.words is not None:
        wd = src.words.filter(src.words.at_s < T)
        parts.append(wd.group_by("episode_id").agg(last_word_s=wd.at_s.max()))
    # One flat chain of joins (each side keyed by its own name), so that
    # SQLite's parser is not asked to nest a subquery per join.
    parts = [p.rename({f"k{i}": "episode_id"}) for i, p in enumerate(parts)]
    j = e
    for i, p in enumerate(parts):
        j = j.left_join(p, e.episode_id == p[f"k{i}"])
    drop = [f"k{i}" for i in range(len(parts))]
    # A snapshot's episodes carry their client's flags: at platform scale,
    # joining a million clients costs a fifth of the scan.
    if not set(CLIENT_COLUMNS) <= set(e.columns):
        c = src.clients.rename(kc="client_id")
        j = j.left_join(c, e.client_id == c.kc)
        drop.append("kc")
    f = j.drop(*drop)
    if "last_word_s" not in f.columns:
        f = f.mutate(last_word_s=ibis.null("int64"))
    f = f.mutate(last_missed_s=f.last_missed_p // 2, last_missed_late=(f.last_missed_p % 2 == 1).fill_null(False))
    zero = ibis.literal(0, "int64")
    n_att = f.n_attended.fill_null(0)
    span_days = (f.last_attended_s - f.first_attended_s) / DAY
    cadence = ibis.ifelse(n_att >= 2, span_days / (n_att - 1), w.default_cadence_days)
    cadence = ibis.greatest(ibis.least(cadence, w.max_cadence_days), w.min_cadence_days)
    last_contact_s = f.last_attended_s.fill_null(f.started_s)
    last_missed = f.last_missed_s
    contact_after_missed = ((f.last_attended_s.fill_null(zero) > last_missed)
                            | (f.last_booking_made_s.fill_null(zero) > last_missed)
                            | (f.last_word_s.fill_null(zero) > last_missed))
    cancel_no_rebook = (
        f.last_cancel_s.notnull()
        & (f.last_cancel_s > f.last_attended_s.fill_null(zero))
        & f.next_booking_s.isnull()
        & (f.last_booking_made_s.fill_null(zero) <= f.last_cancel_s)
    )
    return f.mutate(
        as_of_s=T,
        session_number=n_att,
        n_no_show=f.n_no_show.fill_null(0),
        n_late_cancel=f.n_late_cancel.fill_null(0),
        n_events=f.n_events.fill_null(0),
        recent_events=f.recent_events.fill_null(0),
        recent_missed=f.recent_missed.fill_null(0),
        max_late_recent=f.max_late_recent.fill_null(0),
        hard_recent=f.hard_recent.fill_null(0),
        rupture_recent=f.rupture_recent.fill_null(0),
        cadence_days=cadence,
        days_since_contact=(T - last_contact_s) / DAY,
        has_next=f.next_booking_s.notnull(),
        missed_open=last_missed.notnull() & ~contact_after_missed,
        days_since_missed=(T - last_missed) / DAY,
        cancel_no_rebook=cancel_no_rebook,
        in_break=f.in_break.fill_null(0) > 0,
        safety=f.safety_s.notnull() & (f.safety_s <= T),
        alliance_low=(f.srs_latest < w.srs_cutoff).fill_null(False),
        alliance_drop=((f.srs_prev - f.srs_latest) >= w.srs_drop).fill_null(False),
        not_on_track=((f.n_ors >= w.ors_min_ratings)
                      & ((f.ors_latest - f.ors_first) < w.ors_reliable_change)).fill_null(False),
        avoidant=f.avoidant.fill_null(0),
        conflict_avoidant=f.conflict_avoidant.fill_null(0),
        people_pleasing=f.people_pleasing.fill_null(0),
        ended_by_now=f.ended_s.notnull() & (f.ended_s <= T),
        planned_end_s=ibis.ifelse(f.final_s.notnull() & (f.last_kept_s <= f.final_s), f.final_s,
                                  ibis.null("int64")),
        last_slot_s=f.last_slot_p // 8,
        last_slot_code=f.last_slot_p % 8,
        last_came_late=(f.last_came_p // 4) % 1024,
        last_came_hard=f.last_came_p % 2,
        last_came_rupture=(f.last_came_p // 2) % 2,
    )


def _slot_code(status):
    code = ibis.literal(SLOT_CODES["rescheduled"], "int64")
    for name, c in reversed(list(SLOT_CODES.items())[:-1]):
        code = ibis.ifelse(status == name, ibis.literal(c, "int64"), code)
    return code


BITS = 1024   # a total in tenths, 0 to 102.2, fits in 10 bits; SRS and ORS run 0 to 40


def _tenths(total):
    return (total * 10 + 0.5).floor().cast("int64")


def _pack(taken_s, total, previous_total):
    """A rating as one integer that orders by day, then total: the day, the
    total and the previous total (0 for none, else tenths + 1) in turn."""
    previous = (_tenths(previous_total) + 1).fill_null(0)
    return ((taken_s // DAY) * BITS + _tenths(total)) * BITS + previous


def packed(m: ibis.Table):
    """A rating packed for the features (a snapshot stores it)."""
    return _pack(m.taken_s, m.total, m.previous_total)


def _total(packed):
    return ((packed // BITS) % BITS).cast("float64") / 10.0


def _previous(packed):
    previous = packed % BITS
    return ibis.ifelse(previous > 0, (previous - 1).cast("float64") / 10.0, ibis.null("float64"))


def _rating_features(m: ibis.Table, T, summaries: ibis.Table | None = None):
    """Latest and previous alliance (SRS), first and latest outcome (ORS) in the episode.

    Each rating is packed with its day into one integer, so "the latest
    rating" is the largest packed value: a plain aggregate that every engine
    runs in one pass and the same way, where a window would sort tens of
    millions of ratings (and Ibis's argmax is wrong on SQLite beside other
    aggregates). The rating before the latest rides along in the packed value
    (sources.py gives each rating its predecessor). Of two ratings on one day,
    the higher counts as the later.

    A snapshot also holds each episode's ratings already summed up
    (rating_summaries). An episode whose last rating came before `T` is
    taken from there; only episodes rated at or after `T` (a look back in
    time) are summed up again from their ratings.
    """
    m = m.filter((m.taken_s < T) & m.instrument.isin(RATED))
    if summaries is None:
        parts = _rating_parts(m)
    else:
        settled = summaries.filter(summaries.last_taken_s < T).select(*PARTS)
        parts = settled.union(_rating_parts(m.filter(m.episode_last_taken_s >= T)))
    return parts.select(
        "episode_id", "n_ors",
        srs_latest=_total(parts.srs_p), srs_prev=_previous(parts.srs_p),
        ors_first=_total(parts.ors_first_p), ors_latest=_total(parts.ors_last_p),
    )


RATED = ("SRS", "ORS")
PARTS = ("episode_id", "srs_p", "ors_first_p", "ors_last_p", "n_ors")


def _rating_parts(m: ibis.Table, **also) -> ibis.Table:
    m = m.mutate(**({} if "packed" in m.columns else {"packed": packed(m)}), srs=m.instrument == "SRS")
    return m.group_by("episode_id").agg(
        srs_p=_max_where(m.srs, m.packed),
        ors_first_p=_min_where(~m.srs, m.packed),
        ors_last_p=_max_where(~m.srs, m.packed),
        n_ors=_sum(~m.srs),
        **{k: f(m) for k, f in also.items()},
    )


def rating_summaries(measures: ibis.Table) -> ibis.Table:
    """Per episode, its SRS and ORS ratings on record summed up (PARTS), and
    when the last was taken: what a snapshot stores so that a scan after
    that moment need not read the ratings themselves."""
    m = measures.filter(measures.instrument.isin(RATED))
    return _rating_parts(m, last_taken_s=lambda m: m.taken_s.max(),
                         episode_ended_s=lambda m: m.episode_ended_s.max())
