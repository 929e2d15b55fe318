"""The scan's queries, free of Django, so that `stillhere scan`, a warehouse
job and bench/scan.py all run exactly the same thing on any engine.

1. `episodes`: features, the dropout score and the derived state for every
   episode the scan acts on (open, or ended in the last RECENTLY_ENDED_DAYS),
   in one query where the facts live.
2. `upcoming`: the appointments still booked after the as-of time, a plain
   filter in the same place.
3. the no-show score of each upcoming appointment (risk/noshow.py), from
   the booking and the client's history in every episode, so a first
   appointment whose episode has not started yet is scored too: in DuckDB
   where the facts are, else in an in-process DuckDB over a copy of the
   few columns it reads.
"""

from dataclasses import replace

import ibis

from stillhere.features import compiled
from stillhere.features.episode import episode_features
from stillhere.features.sources import DAY, Sources
from stillhere.risk import default_model, noshow

from .rules import Rules, derive

RECENTLY_ENDED_DAYS = 30

# What the scan reads of each episode: the derived state and its reason, the
# score and each signal's part in it (for the reasons in words), and the facts
# those words and reconcile.py quote. Naming them lets every engine skip
# computing and shipping the rest.
SCAN_COLUMNS = [
    "episode_id", "client_id", "end_reason", "derived_state", "derived_reason", "derived_at_s", "safety_check",
    "risk", *(f"c_{k}" for k in default_model.SIGNALS),
    "session_number", "n_no_show", "n_late_cancel", "n_events", "recent_events", "recent_missed",
    "max_late_recent", "last_attended_s", "last_missed_s", "last_missed_late", "last_cancel_s",
    "last_booking_made_s", "days_since_contact", "cadence_days", "missed_open", "srs_latest", "srs_prev",
    "alliance_low", "alliance_drop", "planned_end_s", "last_unrecorded_s", "outcome_pending",
    "ended_s", "last_kept_s", "safety_s", "last_word_s",
    # What the practice's fitted model reads besides (risk/fitted/decision.py).
    "as_of_s", "has_next", "ors_first", "ors_latest", "n_ors", "last_slot_s", "last_slot_code", "last_came_late",
    "last_came_hard", "last_came_rupture",
]

def episodes(src: Sources, as_of_s: int, rules: Rules = Rules()) -> ibis.Table:
    f = episode_features(src, as_of_s, ended_within_days=RECENTLY_ENDED_DAYS)
    return derive(default_model.score(f), rules).select(SCAN_COLUMNS)


# What the scan reads of each upcoming appointment's no-show score: the
# score, and each part of it with the facts its reasons quote.
NOSHOW_COLUMNS = noshow.COLUMNS


def upcoming(src: Sources, as_of_s: int) -> ibis.Table:
    """The upcoming appointments of the episodes `episodes` reads (others
    would find no features to be scored with)."""
    a = src.appointments
    cutoff = ibis.literal(int(as_of_s), "int64") - RECENTLY_ENDED_DAYS * DAY
    src = replace(src, appointments=a.filter(a.episode_ended_s.isnull() | (a.episode_ended_s > cutoff)))
    return noshow.upcoming_appointments(src, as_of_s)


def noshow_scores(src: Sources, as_of_s: int, weights: noshow.Weights = noshow.DEFAULT,
                  utc_offset_s: int = 0) -> ibis.Table:
    return noshow.scores(src, upcoming(src, as_of_s), weights, utc_offset_s).select(NOSHOW_COLUMNS)


def scan_copy(src: Sources, as_of_s: int, key: tuple, with_signals: bool = True):
    """For a scan in the operational database (SQLite or PostgreSQL): the
    few facts its no-show scores read, worked out there and copied into an
    in-process DuckDB (noshow.portable says why DuckDB). Not every
    appointment of the practice, as portable copies them (at 100,000
    clients, a million rows through Python on every scan): the upcoming
    appointments themselves and each client's history summed up per
    episode as of the scan's moment (noshow.history_by_episode), both plain
    filters and group-bys in the database, compiled once per `key`.

    Returns (sources, upcoming appointments without their as_of_s, the
    histories), all in the DuckDB: noshow.scores(sources, upcoming with
    as_of_s, history=histories) gives exactly what it gives over a copy of
    every appointment (tested in engagement/tests/test_scan_noshow.py)."""
    import pyarrow as pa

    con = ibis.duckdb.connect()

    def put(name, df, t):
        con.con.register(name, pa.Table.from_pandas(df[list(t.columns)], schema=t.schema().to_pyarrow(),
                                                     preserve_index=False))
        return con.table(name)

    def at(name, build):
        return put(name, compiled.run(src.backend, (*key, name), build, as_of_s), build(compiled.SENTINEL))

    def copy(name, t):
        return put(name, noshow.frame(t, (*key, name)), t)

    if src.bookings is not None:
        src = replace(src, appointments=src.bookings)
    moments = at("moments", lambda t: upcoming(src, t).drop("as_of_s"))
    history = at("history", lambda t: noshow.history_by_episode(src, t))
    clients = src.clients.select("client_id", *(["birth_s"] if "birth_s" in src.clients.columns else []))
    rem, sig = src.reminders, getattr(src, "signals", None) if with_signals else None
    local = replace(src, appointments=None, episodes=copy("episodes", src.episodes.select("episode_id", "client_id")),
                    clients=copy("clients", clients), reminders=None if rem is None else copy("reminders", rem),
                    signals=None if sig is None else copy("signals", sig), backend=con)
    return local, moments, history


def scan_frames(src: Sources, as_of_s: int, key: tuple, rules: Rules = Rules(), utc_offset_s: int = 0,
                weights: noshow.Weights = noshow.DEFAULT):
    """Run the scan, each query compiled once per `key` (features/compiled.py).
    Returns (episodes, no-show scores): the episodes as an Arrow table from
    DuckDB (a million rows would cost more as Python objects than the query
    did), else as a frame; the scores as a frame."""
    nkey = ("noshow", *key, utc_offset_s, weights.key())
    build = lambda t: noshow_scores(src, t, weights, utc_offset_s)  # noqa: E731
    if src.backend.name != "duckdb":
        # The no-show score runs in an in-process DuckDB over the few facts
        # it reads, summed up in the database first (scan_copy says why).
        rows = compiled.run(src.backend, ("episodes", *key), lambda t: episodes(src, t, rules), as_of_s)
        local, moments, history = scan_copy(src, as_of_s, ("scan-copy", *key), with_signals=bool(weights.extra))
        try:
            # The copy's tables have the same names every time, so its query
            # too is compiled once (a second of a rescan's time otherwise).
            lkey = ("noshow-summed", *nkey, local.reminders is None)
            build = lambda t: noshow.scores(  # noqa: E731
                local, moments.mutate(as_of_s=ibis.literal(int(t), "int64")), weights, utc_offset_s,
                history=history).select(NOSHOW_COLUMNS)
            return rows, compiled.arrow(local.backend, lkey, build, as_of_s).to_pandas()
        finally:
            local.backend.disconnect()
    con = src.backend
    rows = compiled.arrow(con, ("episodes", *key), lambda t: episodes(src, t, rules), as_of_s)
    return rows, compiled.arrow(con, nkey, build, as_of_s).to_pandas()


__all__ = ["episodes", "upcoming", "scan_frames", "noshow_scores", "RECENTLY_ENDED_DAYS", "SCAN_COLUMNS",
           "NOSHOW_COLUMNS"]
