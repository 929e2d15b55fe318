"""The scan's queries, free of Django, so that `stillhere scan`, a warehouse
job and bench/scan.py all run exactly the same thing on any engine.

1. `episodes`: features, the dropout score and the derived state for every
   episode the scan acts on (open, or ended in the last RECENTLY_ENDED_DAYS),
   in one query where the facts live.
2. `upcoming`: the appointments still booked after the as-of time, a plain
   filter in the same place.
3. the no-show score of each upcoming appointment, from the features the
   first query already computed (so the appointments are aggregated once per
   scan, not twice): in DuckDB, one query beside those features; elsewhere
   `score_upcoming`, in an in-process DuckDB over the two small results.
"""

from dataclasses import replace

import ibis
import pandas as pd

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
    "alliance_low", "alliance_drop",
]

# The features the no-show score reads from the episode.
NOSHOW_INPUTS = ["episode_id", "session_number", "n_no_show", "n_late_cancel", "n_events", "missed_open",
                 "days_since_contact", "cadence_days", "alliance_low", "alliance_drop"]


def episodes(src: Sources, as_of_s: int, rules: Rules = Rules()) -> ibis.Table:
    f = episode_features(src, as_of_s, ended_within_days=RECENTLY_ENDED_DAYS)
    return derive(default_model.score(f), rules).select(SCAN_COLUMNS)


# What the scan reads of each upcoming appointment's no-show score: the
# score, and each part of it with the facts its reasons quote.
NOSHOW_COLUMNS = ["appointment_id", "episode_id", "start_s", "noshow_risk", *(f"n_{k}" for k in noshow.W),
                  "lead_days", "n_no_show", "n_late_cancel", "n_events"]


def upcoming(src: Sources, as_of_s: int) -> ibis.Table:
    """The upcoming appointments of the episodes `episodes` reads (others
    would find no features to be scored with)."""
    a = src.appointments
    cutoff = ibis.literal(int(as_of_s), "int64") - RECENTLY_ENDED_DAYS * DAY
    src = replace(src, appointments=a.filter(a.episode_ended_s.isnull() | (a.episode_ended_s > cutoff)))
    return noshow.upcoming_appointments(src, as_of_s)


def scan_frames(src: Sources, as_of_s: int, key: tuple, rules: Rules = Rules(), utc_offset_s: int = 0):
    """Run the scan, each query compiled once per `key` (features/compiled.py).
    Returns (episodes, no-show scores): the episodes as an Arrow table from
    DuckDB (a million rows would cost more as Python objects than the query
    did), else as a frame.

    In DuckDB the upcoming appointments are picked out and scored in one
    query, beside the episode features just computed; elsewhere they are
    fetched and scored in an in-process DuckDB (score_upcoming)."""
    if src.backend.name != "duckdb":
        rows = compiled.run(src.backend, ("episodes", *key), lambda t: episodes(src, t, rules), as_of_s)
        ahead = compiled.run(src.backend, ("upcoming", *key), lambda t: upcoming(src, t), as_of_s)
        return rows, score_upcoming(ahead, rows, utc_offset_s)
    con = src.backend
    rows = compiled.arrow(con, ("episodes", *key), lambda t: episodes(src, t, rules), as_of_s)
    con.con.register(_FEATURES, rows.select(NOSHOW_INPUTS))
    try:
        scores = compiled.arrow(con, ("noshow", *key, utc_offset_s), lambda t: noshow.noshow_scores(
            upcoming(src, t), con.table(_FEATURES), utc_offset_s).select(NOSHOW_COLUMNS), as_of_s)
    finally:
        con.con.unregister(_FEATURES)
    return rows, scores.to_pandas()


_FEATURES = "scan_episode_features"


def score_upcoming(upcoming_rows, episode_rows, utc_offset_s: int = 0) -> pd.DataFrame:
    """No-show scores for `upcoming_rows` (the result of `upcoming`), joined
    to their episode's features in `episode_rows` (the result of `episodes`).
    Either may be a pandas DataFrame or an Arrow table."""
    con = ibis.duckdb.connect()
    try:
        feats = episode_rows[NOSHOW_INPUTS] if isinstance(episode_rows, pd.DataFrame) \
            else episode_rows.select(NOSHOW_INPUTS)
        con.con.register("upcoming", upcoming_rows)
        con.con.register("episode_features", feats)
        scores = noshow.noshow_scores(con.table("upcoming"), con.table("episode_features"), utc_offset_s)
        scores = scores.select(NOSHOW_COLUMNS)
        # Through Arrow: Ibis's own frame conversion is slower than the query.
        return con.to_pyarrow(scores).to_pandas()
    finally:
        con.disconnect()


__all__ = ["episodes", "upcoming", "scan_frames", "score_upcoming", "RECENTLY_ENDED_DAYS", "SCAN_COLUMNS", "NOSHOW_INPUTS",
           "NOSHOW_COLUMNS"]
