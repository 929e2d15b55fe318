"""Decision points: the week after a session, when a client who is going to
leave has most often just decided to.

Why a model of its own: over all open episodes, the 30-day question is
mostly answered by facts that show a client has already gone (a long gap,
nothing booked). Right after a session those facts are not there yet; what
tells is the session itself (missed, late, a hard session or a rupture),
how early in therapy it came, the alliance and progress ratings, and
whether the next one is booked. So every attended, missed or cancelled
session is a training moment once, at the weekly moment after it (rows.py),
labelled by whether the client ever came to another session (an ending
without goodbye with nothing attended after the moment), and scored here
with features built for that moment. fit.py calibrates its score to the
30-day question, so it means what the scan's score always means.

Only facts known at the moment are read: the frame is the scan's own
features (features/episode.py), which read nothing dated at or after it.
"""

import numpy as np
import pandas as pd

from stillhere.features.episode import SLOT_CODES

DAY = 86400
WITHIN_DAYS = 7          # a session in the last week makes a decision point

# The scan's columns the decision-point features are made from.
RAW = ["as_of_s", "session_number", "last_slot_s", "last_slot_code", "last_came_late", "last_came_hard",
       "last_came_rupture", "recent_missed", "srs_latest", "ors_first", "ors_latest", "has_next", "missed_open",
       "days_since_contact", "cadence_days", "c_avoidant", "c_conflict_avoidant", "c_people_pleasing"]

FEATURES = (["sessions_0"] + [f"sessions_{n}" for n in range(1, 7)]
            + ["missed", "missed_before", "late_10min", "hard_session", "rupture", "srs_below_36", "no_srs",
               "not_improving", "ors_change", "no_ors", "avoidant", "conflict_avoidant", "people_pleasing",
               "days_since", "gap_ratio", "booked",
               "missed_booked", "missed_not_booked", "came_not_booked", "cancelled_not_booked",
               "not_booked_days", "not_booked_gap", "missed_open", "missed_no_word"])

MISSED = (SLOT_CODES["no_show"], SLOT_CODES["late_cancel"])
CANCELLED = (SLOT_CODES["cancelled"], SLOT_CODES["clinician_cancelled"], SLOT_CODES["rescheduled"])


def _f(df, col, fill=np.nan) -> pd.Series:
    return pd.to_numeric(df[col], errors="coerce").astype("float64").fillna(fill) if col in df else \
        pd.Series(fill, index=df.index, dtype="float64")


def at_decision_point(df: pd.DataFrame) -> np.ndarray:
    """Episodes whose latest session (attended, missed or cancelled) was in the last week."""
    if df.empty or "last_slot_s" not in df:
        return np.zeros(len(df), bool)
    since = (_f(df, "as_of_s") - _f(df, "last_slot_s")) / DAY
    return (since <= WITHIN_DAYS).to_numpy()


def features(df: pd.DataFrame) -> pd.DataFrame:
    """The decision-point features of each row (NaN-free)."""
    X = pd.DataFrame(index=df.index)
    n = _f(df, "session_number", 0.0)
    for k in range(0, 7):
        X[f"sessions_{k}"] = (n == k).astype(float)
    code = _f(df, "last_slot_code", -1.0)
    came = (code == SLOT_CODES["attended"]).astype(float)
    missed = code.isin(MISSED).astype(float)
    cancelled = code.isin(CANCELLED).astype(float)
    X["missed"] = missed
    X["missed_before"] = np.clip(_f(df, "recent_missed", 0.0) - missed, 0, 4)
    X["late_10min"] = _f(df, "last_came_late", 0.0) / 10.0 * came
    X["hard_session"] = _f(df, "last_came_hard", 0.0) * came
    X["rupture"] = _f(df, "last_came_rupture", 0.0) * came
    srs = _f(df, "srs_latest")
    X["srs_below_36"] = np.maximum(0.0, 36.0 - srs.fillna(37.0))
    X["no_srs"] = srs.isna().astype(float)
    change = _f(df, "ors_latest") - _f(df, "ors_first")
    later = (n >= 6).astype(float)
    X["not_improving"] = later * (change < 3).astype(float)
    X["ors_change"] = later * change.fillna(0.0).clip(-10, 15)
    X["no_ors"] = later * change.isna().astype(float)
    for k in ("avoidant", "conflict_avoidant", "people_pleasing"):
        X[k] = (_f(df, f"c_{k}", 0.0) > 0).astype(float)
    since = ((_f(df, "as_of_s") - _f(df, "last_slot_s")) / DAY).fillna(999.0).clip(upper=999.0)
    X["days_since"] = since
    cadence = _f(df, "cadence_days", 14.0).replace(0.0, 14.0)
    X["gap_ratio"] = (_f(df, "days_since_contact", 0.0) / cadence).clip(upper=10.0)
    booked = _f(df, "has_next", 0.0).clip(0, 1)
    X["booked"] = booked
    X["missed_booked"] = missed * booked
    X["missed_not_booked"] = missed * (1 - booked)
    X["came_not_booked"] = came * (1 - booked)
    X["cancelled_not_booked"] = cancelled * (1 - booked)
    X["not_booked_days"] = (1 - booked) * since.clip(upper=8.0)
    X["not_booked_gap"] = (1 - booked) * X["gap_ratio"].clip(upper=5.0)
    X["missed_open"] = _f(df, "missed_open", 0.0).clip(0, 1)
    X["missed_no_word"] = missed * X["missed_open"]
    return X[FEATURES]


def without(key: str, df: pd.DataFrame) -> pd.DataFrame:
    """The raw facts as they would be without one signal of the standard
    model (its phrase), so the fitted model's part in a score can be said
    in the standard model's words (use.py)."""
    df = df.copy()
    df[f"c_{key}"] = 0.0
    if key in ("first_session", "early_sessions", "early_weeks"):
        df["session_number"] = np.maximum(_f(df, "session_number", 0.0), 7.0)
    elif key == "missed_open":
        df["missed_open"] = 0.0
        was_missed = _f(df, "last_slot_code", -1.0).isin(MISSED)
        df.loc[was_missed, "last_slot_code"] = SLOT_CODES["attended"]
        for col in ("last_came_late", "last_came_hard", "last_came_rupture"):
            if col in df:
                df.loc[was_missed, col] = 0.0
    elif key == "recent_missed":
        df["recent_missed"] = 0.0
    elif key == "late_arrival":
        for col in ("max_late_recent", "last_came_late"):
            if col in df:
                df[col] = 0.0
    elif key in ("gap_long", "gap_very_long"):
        df["days_since_contact"] = np.minimum(_f(df, "days_since_contact", 0.0), _f(df, "cadence_days", 14.0))
    elif key == "nothing_booked":
        df["has_next"] = 1.0
    elif key == "alliance_low":
        df["srs_latest"] = np.maximum(_f(df, "srs_latest", 37.0), 36.0)
    elif key == "not_on_track":
        df["ors_latest"] = _f(df, "ors_first", 0.0) + 10.0
    elif key == "hard_session":
        df["last_came_hard"] = 0.0
    elif key == "rupture":
        df["last_came_rupture"] = 0.0
    return df
