"""Training rows: the scan's features as of weekly moments over the history.

At each moment T, every episode open at T gets the features the scan would
have computed then (features/episode.py reads nothing dated at or after T),
and a label: 1 if the episode ended without goodbye and the client's last
session falls before T + 30 days. The label is the only thing that looks
past T. Why the last session and not the recorded end: a practice closes a
silent episode weeks after the client left, so "closed within 30 days"
would teach the model to predict the paperwork, late; the question the scan
answers is whether the client is leaving now.

Decision points (decision.py): the rows whose latest session, attended,
missed or cancelled, fell in the week before the moment (`dp`). With weekly
moments every session is such a row once, between a day and a week after
it, as the scan meets it. Their own label, `y_now`: the episode ended
without goodbye and the client came to no session at or after the moment.
"""

import pandas as pd

from stillhere.features.episode import episode_features
from stillhere.features.sources import DAY, Sources
from stillhere.risk import default_model

from . import decision

HORIZON_DAYS = 30
STEP_DAYS = 7

# The numeric inputs of the fitted models: the default model's signal parts
# (so reasons map to the same phrases) plus a few raw facts behind them.
SIGNAL_COLUMNS = [f"c_{k}" for k in default_model.SIGNALS]
RAW_COLUMNS = ["session_number", "recent_missed", "recent_events", "days_since_contact", "cadence_days"]
FEATURES = SIGNAL_COLUMNS + RAW_COLUMNS
# Everything the fitted models read, the decision-point model's facts included.
COLUMNS = FEATURES + [c for c in decision.RAW if c not in FEATURES]
EMPTY = ["t_s", "episode_id", "risk", *COLUMNS, "y", "y_now", "dp"]


def features_at(src: Sources, T: int) -> pd.DataFrame:
    """The scored features of every episode open at T (nothing read at or after T)."""
    f = default_model.score(episode_features(src, T))
    f = f.filter(~f.ended_by_now)
    return f.select("episode_id", "risk", *COLUMNS).execute()


def moments(start_s: int, end_s: int, step_days: int = STEP_DAYS) -> list[int]:
    """Weekly moments from start_s while a full horizon still fits before end_s."""
    out, t = [], int(start_s) + 8 * 7 * DAY
    while t + HORIZON_DAYS * DAY <= end_s:
        out.append(t)
        t += step_days * DAY
    return out


def training_rows(src: Sources, as_of_s: int, step_days: int = STEP_DAYS) -> pd.DataFrame:
    """One row per (moment, open episode) with features, the default risk and label y."""
    eps = src.episodes.select("episode_id", "started_s", "ended_s", "end_reason").execute()
    if eps.empty:
        return pd.DataFrame(columns=EMPTY)
    a = src.appointments
    last = (a.filter(a.status == "attended").group_by("episode_id").agg(last_s=a.start_s.max()).execute()
            .set_index("episode_id")["last_s"])
    eps["left_s"] = last.reindex(eps.episode_id).to_numpy(dtype="float64")
    eps["left_s"] = eps["left_s"].fillna(eps.started_s.astype("float64"))
    ends = eps.set_index("episode_id")
    frames = []
    # Moments stop where the record does: past the last recorded session
    # (an export from years ago) a week adds rows and time but no facts.
    recorded = a.filter(a.start_s < as_of_s).start_s.max().execute()
    end_s = int(as_of_s) if pd.isna(recorded) else min(int(as_of_s), int(recorded))
    for T in moments(int(eps.started_s.min()), end_s, step_days):
        df = features_at(src, T)
        if df.empty:
            continue
        e = ends.loc[df.episode_id]
        no_goodbye = e.end_reason.values == "no_goodbye"
        df["y"] = (no_goodbye & (e.left_s.values <= T + HORIZON_DAYS * DAY)).astype(int)
        df["y_now"] = (no_goodbye & (e.left_s.values < T)).astype(int)
        df["t_s"] = T
        df["dp"] = decision.at_decision_point(df)
        frames.append(df)
    if not frames:
        return pd.DataFrame(columns=EMPTY)
    out = pd.concat(frames, ignore_index=True)
    out[FEATURES] = out[FEATURES].astype("float64").fillna(0.0)
    return out


# Age bands for the fairness report only: never a column of FEATURES, so
# age cannot enter the fitted model.
AGE_BANDS = ((0, "under 25"), (25, "25 to 44"), (45, "45 to 64"), (65, "65 and over"))
NO_AGE = "birth date not recorded"


def age_band(age_years) -> str:
    if age_years is None or age_years != age_years:
        return NO_AGE
    return [name for lo, name in AGE_BANDS if age_years >= lo][-1]


def with_age_bands(src: Sources, data: pd.DataFrame) -> pd.DataFrame:
    """Add `age_band` (age at each moment, from the birth date) for the fairness report."""
    data = data.copy()
    if data.empty or "birth_s" not in src.clients.columns:
        data["age_band"] = NO_AGE
        return data
    ep = src.episodes.select("episode_id", "client_id").execute()
    cl = src.clients.select("client_id", "birth_s").execute()
    birth = ep.merge(cl, on="client_id", how="left").set_index("episode_id")["birth_s"]
    b = birth.reindex(data.episode_id).to_numpy(dtype="float64")
    age = (data.t_s.to_numpy(dtype="float64") - b) / (365.25 * DAY)
    data["age_band"] = [age_band(a) for a in age]
    return data
