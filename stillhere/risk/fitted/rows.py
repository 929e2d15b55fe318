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

import ibis
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


def _quiet(src: Sources, as_of_s: int, silence_days: int) -> set:
    """Episodes with no word from the client for `silence_days` before as-of
    and nothing still booked, read from the scan's own features as of then
    (the same contact the scan counts after a missed session: a session
    attended, a booking made, a cancellation, a logged call or reply; a
    missed session is no word), so nothing after as-of is read."""
    f = episode_features(src, as_of_s)
    word = ibis.greatest(*[f[c].fill_null(f.started_s) for c in
                           ("last_attended_s", "last_booking_made_s", "last_cancel_s", "last_word_s")])
    quiet = f.filter(f.next_booking_s.isnull() & (word < as_of_s - silence_days * DAY))
    return set(quiet.select("episode_id").execute().episode_id.tolist())


def moments(start_s: int, end_s: int, step_days: int = STEP_DAYS) -> list[int]:
    """Weekly moments from start_s while a full horizon still fits before end_s."""
    out, t = [], int(start_s) + 8 * 7 * DAY
    while t + HORIZON_DAYS * DAY <= end_s:
        out.append(t)
        t += step_days * DAY
    return out


def training_rows(src: Sources, as_of_s: int, step_days: int = STEP_DAYS,
                  silence_days: int | None = None) -> pd.DataFrame:
    """One row per (moment, open episode) with features, the default risk and label y.

    With `silence_days` (the practice's long-silence setting), an open episode
    with no word from the client for that long before as-of counts as ended
    without goodbye at its last session, as the import's long-silence rule
    ends one when the client returns (ingest/silence.py). An imported history
    rarely records its dropouts: they simply stop coming, and without this a
    practice with years of history would have nothing to learn from. It reads
    nothing after as-of."""
    eps = src.episodes.select("episode_id", "started_s", "ended_s", "end_reason").execute()
    if eps.empty:
        return pd.DataFrame(columns=EMPTY)
    a = src.appointments
    last = (a.filter(a.status == "attended").group_by("episode_id").agg(last_s=a.start_s.max()).execute()
            .set_index("episode_id")["last_s"])
    eps["left_s"] = last.reindex(eps.episode_id).to_numpy(dtype="float64")
    eps["left_s"] = eps["left_s"].fillna(eps.started_s.astype("float64"))
    eps["inferred"] = False
    if silence_days:
        open_ = eps.ended_s.isna() & (eps.end_reason.fillna("") == "")
        eps["inferred"] = open_ & eps.episode_id.isin(_quiet(src, as_of_s, silence_days))
        eps.loc[eps.inferred, "end_reason"] = "no_goodbye"
    ends = eps.set_index("episode_id")
    frames = []
    # Moments stop where the record does: past the last recorded session
    # (an export from years ago) a week adds rows and time but no facts.
    recorded = a.filter(a.start_s < as_of_s).start_s.max().execute()
    end_s = int(as_of_s) if pd.isna(recorded) else min(int(as_of_s), int(recorded))
    if silence_days:
        # A label needs the silence after it to be over by as-of: a client who
        # left in the last months is not yet known to have gone.
        end_s = min(end_s, int(as_of_s) - silence_days * DAY)
    for T in moments(int(eps.started_s.min()), end_s, step_days):
        df = features_at(src, T)
        if df.empty:
            continue
        e = ends.loc[df.episode_id]
        # An ending inferred from the silence is known once the silence has
        # lasted the practice's long-silence time: until then the episode is
        # open, as the scan still sees it (a lapse), and its client is one
        # who left; after it, it is over.
        keep = ~(e.inferred.values & (e.left_s.values + (silence_days or 0) * DAY < T))
        df, e = df[keep], e[keep]
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
    # A birth date after the moment (a newborn's first visit booked ahead, a
    # typing slip) counts in the youngest band rather than failing the fit.
    return [name for lo, name in AGE_BANDS if max(age_years, 0) >= lo][-1]


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


# Imported groups ([clients.groups] in a mapping file), for the fairness
# report only: like age, never a column of FEATURES.
GROUP_PREFIX = "group:"
NO_GROUP = "not recorded"


def group_names(data: pd.DataFrame) -> list[str]:
    return sorted(c[len(GROUP_PREFIX):] for c in data.columns if c.startswith(GROUP_PREFIX))


def with_report_groups(practice_id: int, src: Sources, data: pd.DataFrame) -> pd.DataFrame:
    """Add a `group:<name>` column per group the practice imported (each
    client's value, or "not recorded"), read from the clients' encrypted
    field; nothing when the practice imported none."""
    import json

    from stillhere.clients.models import Client

    found = {pk: json.loads(text) for pk, text in
             Client.objects.filter(practice_id=practice_id).exclude(report_groups="").values_list("pk", "report_groups")
             if text}
    names = sorted({n for g in found.values() for n in g})
    if not names or data.empty:
        return data
    data = data.copy()
    ep = src.episodes.select("episode_id", "client_id").execute().set_index("episode_id")["client_id"]
    clients = ep.reindex(data.episode_id).to_numpy()
    for name in names:
        data[GROUP_PREFIX + name] = [found.get(c, {}).get(name) or NO_GROUP for c in clients]
    return data

