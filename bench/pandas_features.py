"""The baseline for bench/scan.py: the same engagement features, dropout
score and derived state written the straightforward way in pandas (load the
canonical tables into memory, group by episode, join). It is checked against
the Ibis definition on a small practice before any timing is trusted."""

import numpy as np
import pandas as pd

from stillhere.engagement.rules import MIN_LAPSE_DAYS, MISSED_HOLDS_DAYS, WATCH_RISK
from stillhere.features.episode import CANCELS, CLIENT_CANCELS, MISSED, Windows
from stillhere.risk.default_model import BASE, SIGNALS

DAY = 86400


def features(a: pd.DataFrame, e: pd.DataFrame, c: pd.DataFrame, m: pd.DataFrame, T: int,
             w: Windows = Windows(), lapse_factor: float = 2.0, ended_within_days: int | None = None) -> pd.DataFrame:
    if ended_within_days is not None:   # only the episodes a scan acts on
        e = e[e["ended_s"].isna() | (e["ended_s"] > T - ended_within_days * DAY)]
        a = a[a["episode_id"].isin(e["episode_id"])]
        m = m[m["episode_id"].isin(e["episode_id"])]
    a = a.copy()
    a["booked_s"] = a["booked_s"].fillna(a["start_s"] - 7 * DAY)
    cancel = a["status"].isin(CANCELS)
    a["event_s"] = np.where(cancel, a["cancelled_s"].fillna(a["start_s"]), a["start_s"])
    k = a[a["event_s"] < T]
    came = k["status"] == "attended"
    missed = k["status"].isin(MISSED)
    counted = k["status"] != "clinician_cancelled"
    recent = k["event_s"] >= T - w.recent_days * DAY
    marked = k["start_s"] >= T - w.marker_days * DAY
    g = pd.DataFrame({
        "episode_id": k["episode_id"],
        "att": came.astype(int), "ns": (k["status"] == "no_show").astype(int),
        "lc": (k["status"] == "late_cancel").astype(int), "ev": counted.astype(int),
        "rev": (counted & recent).astype(int), "rmiss": (missed & recent).astype(int),
        "att_s": k["start_s"].where(came), "miss_s": k["start_s"].where(missed),
        "lc_s": k["start_s"].where(k["status"] == "late_cancel"),
        "canc_s": k["event_s"].where(k["status"].isin(CLIENT_CANCELS)),
        "late": k["minutes_late"].where(came & recent), "hard": k["hard"].where(marked),
        "rup": k["rupture"].where(marked),
    }).groupby("episode_id").agg(
        n_attended=("att", "sum"), n_no_show=("ns", "sum"), n_late_cancel=("lc", "sum"), n_events=("ev", "sum"),
        recent_events=("rev", "sum"), recent_missed=("rmiss", "sum"), first_attended_s=("att_s", "min"),
        last_attended_s=("att_s", "max"), last_missed_s=("miss_s", "max"), last_late_cancel_s=("lc_s", "max"),
        last_cancel_s=("canc_s", "max"), max_late_recent=("late", "max"), hard_recent=("hard", "max"),
        rupture_recent=("rup", "max"))
    made = a[a["booked_s"] < T].groupby("episode_id")["booked_s"].max().rename("last_booking_made_s")
    ahead = a[(a["start_s"] >= T) & (a["booked_s"] < T) & ~(cancel & (a["event_s"] < T))]
    up = ahead.groupby("episode_id")["start_s"].agg(next_booking_s="min", n_upcoming="count")

    e = e[e["started_s"] < T]
    mm = m[(m["taken_s"] < T) & m["episode_id"].isin(e["episode_id"])]
    mm = mm.sort_values(["episode_id", "taken_s", "total"], kind="stable")
    ors = mm[mm["instrument"] == "ORS"].groupby("episode_id")["total"]
    srs_last = mm[mm["instrument"] == "SRS"].groupby("episode_id").tail(2)
    srs_latest = srs_last.groupby("episode_id")["total"].last()
    two = srs_last.groupby("episode_id")["total"]
    srs_prev = two.first().where(two.count() == 2)
    al = pd.DataFrame({"srs_latest": srs_latest, "srs_prev": srs_prev,
                       "ors_first": ors.first(), "ors_latest": ors.last(), "n_ors": ors.count()})

    f = (e.set_index("episode_id").join(g).join(made).join(up).join(al).reset_index()
         .merge(c, on="client_id", how="left"))
    n_att = f["n_attended"].fillna(0)
    cadence = np.where(n_att >= 2, (f["last_attended_s"] - f["first_attended_s"]) / DAY / (n_att - 1).clip(lower=1),
                       w.default_cadence_days)
    f["cadence_days"] = np.clip(cadence, w.min_cadence_days, w.max_cadence_days)
    f["session_number"] = n_att
    for col in ("n_no_show", "n_late_cancel", "n_events", "recent_events", "recent_missed", "max_late_recent",
                "hard_recent", "rupture_recent"):
        f[col] = f[col].fillna(0)
    last_contact = f["last_attended_s"].fillna(f["started_s"])
    f["days_since_contact"] = (T - last_contact) / DAY
    f["has_next"] = f["next_booking_s"].notna()
    after = (f["last_attended_s"].fillna(0) > f["last_missed_s"]) | (f["last_booking_made_s"].fillna(0) > f["last_missed_s"])
    f["missed_open"] = f["last_missed_s"].notna() & ~after
    f["last_missed_late"] = f["last_late_cancel_s"].notna() & (f["last_late_cancel_s"] == f["last_missed_s"])
    f["days_since_missed"] = (T - f["last_missed_s"]) / DAY
    f["cancel_no_rebook"] = (f["last_cancel_s"].notna() & (f["last_cancel_s"] > f["last_attended_s"].fillna(0))
                             & f["next_booking_s"].isna() & (f["last_booking_made_s"].fillna(0) <= f["last_cancel_s"]))
    f["in_break"] = False
    f["safety"] = f["safety_s"].notna() & (f["safety_s"] <= T)
    f["alliance_low"] = (f["srs_latest"] < w.srs_cutoff).fillna(False)
    f["alliance_drop"] = ((f["srs_prev"] - f["srs_latest"]) >= w.srs_drop).fillna(False)
    f["not_on_track"] = ((f["n_ors"] >= w.ors_min_ratings) & ((f["ors_latest"] - f["ors_first"]) < w.ors_reliable_change)).fillna(False)
    f["ended_by_now"] = f["ended_s"].notna() & (f["ended_s"] <= T)
    return _score_and_state(f, T, lapse_factor)


def _score_and_state(f: pd.DataFrame, T: int, lapse_factor: float) -> pd.DataFrame:
    W = SIGNALS
    n = f["session_number"]
    gap = f["days_since_contact"] / f["cadence_days"]
    free = ~f["has_next"] & ~f["in_break"]
    logit = (BASE + W["first_session"] * (n <= 1) + W["early_sessions"] * n.between(2, 3)
             + W["early_weeks"] * n.between(4, 6) + W["missed_open"] * f["missed_open"]
             + W["recent_missed"] * f["recent_missed"].clip(upper=3) + W["late_arrival"] * (f["max_late_recent"] >= 15)
             + W["cancel_no_rebook"] * f["cancel_no_rebook"] + W["gap_long"] * ((gap > 1.5) & (gap <= 2.5) & free)
             + W["gap_very_long"] * ((gap > 2.5) & free) + W["nothing_booked"] * free
             + W["alliance_low"] * np.where(f["alliance_low"], np.minimum(36.0 - f["srs_latest"], 10.0), 0.0)
             + W["alliance_drop"] * f["alliance_drop"] + W["not_on_track"] * f["not_on_track"]
             + W["hard_session"] * (f["hard_recent"] > 0) + W["rupture"] * (f["rupture_recent"] > 0)
             + W["avoidant"] * (f["avoidant"] > 0) + W["conflict_avoidant"] * (f["conflict_avoidant"] > 0)
             + W["people_pleasing"] * (f["people_pleasing"] > 0))
    f["risk"] = 1 / (1 + np.exp(-logit))
    lapse_days = np.maximum(f["cadence_days"] * lapse_factor, MIN_LAPSE_DAYS)
    holds = np.maximum(lapse_days, MISSED_HOLDS_DAYS)
    ended = f["ended_by_now"]
    safety_missed = f["missed_open"] & f["safety"]
    missed = f["missed_open"] & (f["days_since_missed"] <= holds)
    lapsed = free & (f["days_since_contact"] > lapse_days)
    watch = (f["cancel_no_rebook"] & ~f["in_break"]) | (f["risk"] >= WATCH_RISK)
    end_state = np.where(f["end_reason"] == "no_goodbye", "ended_no_goodbye",
                         np.where(f["end_reason"] == "by_client", "ended_by_client", "ended_planned"))
    f["derived_state"] = np.select([ended, safety_missed | missed, lapsed, watch],
                                   [end_state, "missed", "lapsed", "watch"], "active")
    return f
