"""A seeded, vectorised generator of realistic therapy practices.

Why it exists: the demo, the tests and the benchmarks need practices of any
size, and the risk model needs an oracle. Each episode is simulated slot by
slot (one booked session per slot) with numpy arrays over all episodes at
once; the Python loop runs over slot numbers, never over clients.

Every episode is simulated to its true end, even past the as-of date, so the
ground truth (how and when it really ended, and the dropout hazard after each
session) is known; only facts up to the as-of date, plus bookings already made
by then, are written as data.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from .names import FIRST_NAMES, LAST_NAMES, PRONOUNS_BY_NAME, STREETS, TOWNS
from .params import SimParams

MAX_SLOTS = 80
STATUSES = np.array(["attended", "no_show", "late_cancel", "cancelled",
                     "clinician_cancelled", "rescheduled", "scheduled"])
ATTENDED, NO_SHOW, LATE_CANCEL, CANCELLED, CLIN_CANCELLED, RESCHEDULED, SCHEDULED = range(7)
SESSION_TYPES = np.array(["intake", "session", "final"])
MARKERS = np.array(["", "hard_session", "rupture"])
OUTCOMES = np.array(["open", "planned", "no_goodbye", "by_client", "referred"])
OPEN, PLANNED, NO_GOODBYE, BY_CLIENT, REFERRED = range(5)
END_REASON = {PLANNED: "planned", NO_GOODBYE: "no_goodbye", BY_CLIENT: "by_client", REFERRED: "referred"}


@dataclass
class SimulatedPractice:
    """Frames in the generic import schema, plus the oracle."""

    as_of: datetime
    timezone: str
    clinicians: pd.DataFrame
    clients: pd.DataFrame
    episodes: pd.DataFrame
    appointments: pd.DataFrame
    measures: pd.DataFrame
    truth: pd.DataFrame           # per slot: appointment_id, episode_id, hazard
    truth_episodes: pd.DataFrame  # per episode: true outcome, even if after as_of


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


@dataclass
class _Traits:
    """Per-client arrays the episode loop reads."""

    cadence: np.ndarray
    planned: np.ndarray
    noshow_bias: np.ndarray
    late_prop: np.ndarray
    style_logit: np.ndarray


def _client_traits(rng, n, p: SimParams, style: dict) -> _Traits:
    cadence = rng.choice(np.array(p.cadence_days), size=n, p=np.array(p.cadence_mix))
    planned = np.clip(np.round(rng.lognormal(np.log(p.median_planned_sessions), 0.6, n)), 3, 70)
    style_logit = sum(style[k] * p.w_style[k] for k in style)
    return _Traits(
        cadence=cadence.astype(np.float64),
        planned=planned,
        noshow_bias=rng.normal(0.0, 0.6, n),
        late_prop=rng.beta(1.2, 1.2 / p.late_arrival_rate - 1.2, n),
        style_logit=style_logit,
    )


def _run_episodes(rng, p: SimParams, ep_client, start_day, tr: _Traits):
    """Simulate episodes to their true end. Returns (rows dict, outcome, end_day)."""
    E = len(ep_client)
    cad = tr.cadence[ep_client]
    planned = tr.planned[ep_client]
    ns_bias = tr.noshow_bias[ep_client]
    late_prop = tr.late_prop[ep_client]
    style = tr.style_logit[ep_client]

    day = start_day.astype(np.float64).copy()
    alive = np.ones(E, bool)
    attended = np.zeros(E, np.int64)
    recent = np.zeros((E, 4), bool)          # missed flags of the last four slots
    base_alliance = np.clip(rng.normal(p.alliance_mean, p.alliance_sd, E), 24, 40)
    alliance = base_alliance.copy()
    ors0 = np.clip(rng.normal(20.0, 5.0, E), 2, 34)
    gain = np.where(rng.random(E) < 0.65, rng.normal(10.0, 3.0, E), rng.normal(1.0, 2.0, E))
    outcome = np.zeros(E, np.int64)
    end_day = np.full(E, np.nan)
    bonus = np.array(p.early_session_bonus + (0.0,))
    out = {k: [] for k in ("ep", "day", "lead", "status", "late", "marker", "session_number",
                           "session_type", "hazard", "srs", "ors")}

    def emit(**cols):
        for k, v in cols.items():
            out[k].append(v)

    for k in range(MAX_SLOTS):
        idx = np.flatnonzero(alive)
        if idx.size == 0:
            break
        n = idx.size
        if k == 0:
            gap = np.zeros(n)
            lead = rng.integers(3, 22, n).astype(np.float64)
        else:
            gap = cad[idx] * rng.uniform(0.85, 1.2, n)
            gap += np.where(rng.random(n) < p.planned_break_rate, rng.uniform(14, 35, n), 0.0)
            lead = np.where(cad[idx] <= 7, gap, rng.uniform(2.0, np.maximum(gap, 2.5)))
        day[idx] += gap
        prev_missed = recent[idx, -1]

        z = p.noshow_logit + ns_bias[idx] + p.noshow_per_lead_week * lead / 7.0 + p.noshow_after_missed * prev_missed
        cuts = np.cumsum(np.stack([
            _sigmoid(z),
            np.full(n, p.late_cancel_rate) * (1 + prev_missed),
            np.full(n, p.cancel_rate), np.full(n, p.clinician_cancel_rate), np.full(n, p.reschedule_rate),
        ]), axis=0)
        u = rng.random(n)
        status = np.where(u < cuts[0], NO_SHOW, np.where(u < cuts[1], LATE_CANCEL, np.where(
            u < cuts[2], CANCELLED, np.where(u < cuts[3], CLIN_CANCELLED, np.where(
                u < cuts[4], RESCHEDULED, ATTENDED)))))
        came = status == ATTENDED
        missed_now = (status == NO_SHOW) | (status == LATE_CANCEL)
        attended[idx] += came
        sess = attended[idx]
        late = np.where(came & (rng.random(n) < late_prop[idx]), rng.integers(5, 31, n), 0)
        hard = came & (rng.random(n) < p.hard_session_rate)
        rupture = came & ~hard & (rng.random(n) < p.rupture_rate)
        alliance[idx] += 0.3 * (base_alliance[idx] - alliance[idx]) - 3.0 * hard - 4.0 * rupture
        alliance[idx] += rng.normal(0.0, 0.6, n)
        alliance[idx] = np.clip(alliance[idx], 0, 40)
        ors = np.clip(ors0[idx] + gain[idx] * (1 - np.exp(-sess / 6.0)) + rng.normal(0, 2.0, n), 0, 40)
        rated = came & (rng.random(n) < p.srs_share)

        logit = (p.dropout_logit + bonus[np.minimum(np.maximum(sess - 1, 0), len(bonus) - 1)]
                 + p.w_missed_now * missed_now + p.w_missed_recent * recent[idx].sum(1)
                 + p.w_late_per_10min * late / 10.0 + p.w_hard_session * hard + p.w_rupture * rupture
                 + p.w_alliance_gap * np.maximum(0.0, 36.0 - alliance[idx])
                 + p.w_not_improving * ((sess >= 6) & (gain[idx] < 5)) + style[idx])
        hazard = _sigmoid(logit)

        drop = rng.random(n) < hazard
        final = ~drop & came & (sess >= planned[idx])
        final |= ~drop & (k == MAX_SLOTS - 1)
        v = rng.random(n)
        by_client = ~drop & ~final & (v < p.ended_by_client_rate)
        referred = ~drop & ~final & ~by_client & (v < p.ended_by_client_rate + p.referred_rate)

        stype = np.where(k == 0, 0, np.where(final, 2, 1))
        marker = np.where(hard, 1, np.where(rupture, 2, 0))
        emit(ep=idx, day=day[idx].copy(), lead=lead, status=status, late=late, marker=marker,
             session_number=np.where(came, sess, 0), session_type=stype, hazard=hazard,
             srs=np.where(rated, np.round(alliance[idx], 1), np.nan),
             ors=np.where(rated, np.round(ors, 1), np.nan))

        # How a dropout shows: often one more booking that is missed or
        # cancelled late, then silence.
        d = idx[drop]
        w = rng.random(d.size)
        tail = np.where(w < p.ghost_noshow_share, NO_SHOW,
                        np.where(w < p.ghost_noshow_share + p.ghost_late_cancel_share, LATE_CANCEL, -1))
        has_tail = tail >= 0
        dt = d[has_tail]
        tgap = cad[dt] * rng.uniform(0.85, 1.2, dt.size)
        tlead = np.where(cad[dt] <= 7, tgap, rng.uniform(2.0, np.maximum(tgap, 2.5)))
        emit(ep=dt, day=day[dt] + tgap, lead=tlead, status=tail[has_tail], late=np.zeros(dt.size, np.int64),
             marker=np.zeros(dt.size, np.int64), session_number=np.zeros(dt.size, np.int64),
             session_type=np.ones(dt.size, np.int64), hazard=np.full(dt.size, np.nan),
             srs=np.full(dt.size, np.nan), ors=np.full(dt.size, np.nan))
        last = day[d].copy()
        last[has_tail] += tgap
        end_day[d] = last

        outcome[idx[drop]] = NO_GOODBYE
        outcome[idx[final]] = PLANNED
        outcome[idx[by_client]] = BY_CLIENT
        outcome[idx[referred]] = REFERRED
        ended = drop | final | by_client | referred
        end_day[idx[ended & ~drop]] = day[idx[ended & ~drop]]
        alive[idx[ended]] = False
        recent[idx] = np.roll(recent[idx], -1, axis=1)
        recent[idx, -1] = missed_now

    rows = {k: np.concatenate(v) for k, v in out.items()}
    return rows, outcome, end_day


# Platform-sized practices are generated in blocks of clients, each with its
# own seeded generator, so memory follows the block and not the practice.
BLOCK = 200_000


def simulate(n_clients: int, seed: int = 0, as_of: date | None = None, timezone: str = "Europe/London",
             params: SimParams | None = None, n_clinicians: int | None = None,
             recent_share: float = 0.5) -> SimulatedPractice:
    """Generate a practice of `n_clients` clients whose history ends at `as_of`.

    `recent_share` of clients start in the last four months, so that a
    realistic share of the caseload is in therapy on the as-of date. The same
    arguments always give the same practice.
    """
    p = params or SimParams()
    n = int(n_clients)
    n_clin = n_clinicians or max(1, int(np.ceil(n / p.caseload)))
    as_of = as_of or date.today()
    if n <= BLOCK:
        return _simulate_block(np.random.default_rng(seed), n, as_of, timezone, p, n_clin, recent_share)
    parts, offsets = [], np.zeros(3, np.int64)   # clients, episodes, slots so far
    for i, first in enumerate(range(0, n, BLOCK)):
        block = _simulate_block(np.random.default_rng([seed, i]), min(BLOCK, n - first), as_of, timezone, p,
                                n_clin, recent_share)
        parts.append(_shift_ids(block, *offsets))
        offsets += (len(block.clients), len(block.truth_episodes), len(block.truth))
    return SimulatedPractice(
        as_of=parts[0].as_of, timezone=timezone, clinicians=parts[0].clinicians,
        **{name: pd.concat([getattr(b, name) for b in parts], ignore_index=True)
           for name in ("clients", "episodes", "appointments", "measures", "truth", "truth_episodes")})


def _shift_ids(b: SimulatedPractice, clients: int, episodes: int, slots: int) -> SimulatedPractice:
    """Renumber one block's ids to follow the blocks before it."""
    for frame in (b.clients, b.episodes, b.appointments, b.measures, b.truth_episodes):
        frame["client_id"] += clients
    for frame in (b.episodes, b.appointments, b.measures, b.truth, b.truth_episodes):
        frame["episode_id"] += episodes
    b.episodes["previous_episode_id"] = np.where(b.episodes["previous_episode_id"] > 0,
                                                 b.episodes["previous_episode_id"] + episodes, 0)
    b.appointments["appointment_id"] += slots
    b.truth["appointment_id"] += slots
    ids = b.clients["client_id"].astype(str)
    b.clients["email"] = np.where(b.clients["email"] != "", "client" + ids + "@example.org", "")
    b.clients["phone"] = np.where(b.clients["phone"] != "", "+1555" + ids.str.zfill(7), "")
    return b


def _simulate_block(rng, n: int, as_of: date, timezone: str, p: SimParams, n_clin: int,
                    recent_share: float) -> SimulatedPractice:
    horizon = p.years * 365.0
    origin = pd.Timestamp(as_of) - pd.Timedelta(days=horizon)

    style = {k: rng.random(n) < r for k, r in p.style_rates.items()}
    tr = _client_traits(rng, n, p, style)
    clinician_of = rng.integers(0, n_clin, n)

    recent = rng.random(n) < recent_share
    start = np.where(recent, rng.uniform(horizon - 120, horizon - 1, n), rng.uniform(0, horizon - 1, n))
    ep_client, ep_start, ep_clin, ep_prev = [np.arange(n)], [start], [clinician_of], [np.full(n, -1)]
    rows_all, outcomes, ends = [], [], []
    first_ep = 0
    todo_client, todo_start, todo_clin = np.arange(n), start, clinician_of
    while todo_client.size:
        rows, outcome, end_day = _run_episodes(rng, p, todo_client, todo_start, tr)
        rows["ep"] = rows["ep"] + first_ep
        rows_all.append(rows)
        outcomes.append(outcome)
        ends.append(end_day)
        # Some clients come back, months or years later: a new, linked episode.
        back = (rng.random(todo_client.size) < p.return_rate)
        nstart = end_day + rng.uniform(*p.return_delay_days, todo_client.size)
        back &= nstart < horizon - 1
        prev_ids = first_ep + np.flatnonzero(back)
        first_ep += todo_client.size
        todo_client, todo_start = todo_client[back], nstart[back]
        todo_clin = np.where(rng.random(back.sum()) < 0.7, todo_clin[back], rng.integers(0, n_clin, back.sum()))
        if todo_client.size:
            ep_client.append(todo_client)
            ep_start.append(todo_start)
            ep_clin.append(todo_clin)
            ep_prev.append(prev_ids)

    ep_client = np.concatenate(ep_client)
    ep_start = np.concatenate(ep_start)
    ep_clin = np.concatenate(ep_clin)
    ep_prev = np.concatenate(ep_prev)
    outcome = np.concatenate(outcomes)
    end_day = np.concatenate(ends)
    rows = {k: np.concatenate([r[k] for r in rows_all]) for k in rows_all[0]}
    return _assemble(rng, p, n, n_clin, as_of, origin, horizon, timezone, style, tr,
                     ep_client, ep_start, ep_clin, ep_prev, outcome, end_day, rows)


def _to_times(origin, day, hour, tz):
    """Fractional days since origin -> UTC timestamps at a working hour, Mon-Fri."""
    d = np.floor(day).astype("int64")
    dates = (origin.to_datetime64().astype("datetime64[D]") + d.astype("timedelta64[D]"))
    weekday = (dates.astype("int64") + 3) % 7        # 1970-01-01 was a Thursday
    dates = dates + np.where(weekday >= 5, 7 - weekday, 0).astype("timedelta64[D]")
    local = dates.astype("datetime64[m]") + (hour * 60).astype("timedelta64[m]")
    idx = pd.DatetimeIndex(local)
    if tz != "UTC":
        idx = idx.tz_localize(tz, ambiguous=False, nonexistent="shift_forward").tz_convert("UTC")
    else:
        idx = idx.tz_localize("UTC")
    return idx


def _assemble(rng, p, n, n_clin, as_of, origin, horizon, tz, style, tr,
              ep_client, ep_start, ep_clin, ep_prev, outcome, end_day, rows) -> SimulatedPractice:
    E = ep_client.size
    clin_email = np.array([f"clinician{i + 1:03d}@practice.example" for i in range(n_clin)], dtype=object)
    clin_name = np.array([f"{FIRST_NAMES[(i * 7) % len(FIRST_NAMES)]} {LAST_NAMES[(i * 11 + 3) % len(LAST_NAMES)]}"
                          for i in range(n_clin)], dtype=object)
    clinicians = pd.DataFrame({"clinician": clin_email, "name": clin_name})

    # --- appointments: only what is known on the as-of date -------------
    order = np.lexsort((rows["day"], rows["ep"]))
    rows = {k: v[order] for k, v in rows.items()}
    ep = rows["ep"]
    day = rows["day"]
    booked_day = day - rows["lead"]
    hour = rng.choice(np.arange(8, 19), size=ep.size)
    start = _to_times(origin, day, hour, tz)
    booked = start - pd.to_timedelta(np.round(rows["lead"] * 24 * 60).astype("int64"), unit="m")
    as_of_ts = pd.Timestamp(as_of).tz_localize(tz).tz_convert("UTC")
    past = np.asarray(start < as_of_ts)
    # The first slot after the as-of date stays, as a booking, only if it had
    # been booked by then; everything later is the future the data cannot know.
    first_future = ~past & (np.r_[True, ep[1:] != ep[:-1]] | np.r_[True, past[:-1]])
    keep = past | (first_future & np.asarray(booked < as_of_ts))
    slot_id = np.arange(ep.size, dtype=np.int64) + 1
    truth = pd.DataFrame({"appointment_id": slot_id, "episode_id": ep + 1, "start": start,
                          "hazard": rows["hazard"], "in_data": keep})
    status = rows["status"].copy()
    future = ~past
    status[future] = SCHEDULED
    late = np.where(future, 0, rows["late"])
    marker = np.where(future, 0, rows["marker"])
    cancelled = np.isin(status, [LATE_CANCEL, CANCELLED, CLIN_CANCELLED, RESCHEDULED])
    cancel_lead_h = np.where(status == LATE_CANCEL, rng.uniform(1, 23, ep.size), rng.uniform(25, 24 * 6, ep.size))
    cancelled_at = start - pd.to_timedelta(np.round(cancel_lead_h * 60).astype("int64"), unit="m")
    k = keep
    appointments = pd.DataFrame({
        "appointment_id": slot_id[k],
        "client_id": ep_client[ep[k]] + 1,
        "episode_id": ep[k] + 1,
        "clinician": pd.Categorical.from_codes(ep_clin[ep[k]], categories=clin_email),
        "start": start[k],
        "status": pd.Categorical.from_codes(status[k], categories=STATUSES),
        "booked_at": booked[k],
        "duration_min": np.full(k.sum(), 50, np.int16),
        "late_minutes": late[k].astype(np.int16),
        "cancelled_at": pd.Series(cancelled_at[k]).where(cancelled[k]).array,
        "session_type": pd.Categorical.from_codes(rows["session_type"][k], categories=SESSION_TYPES),
        "marker": pd.Categorical.from_codes(marker[k], categories=MARKERS),
        "session_number": np.where(future[k], 0, rows["session_number"][k]).astype(np.int16),
    })

    rated = past & ~np.isnan(rows["srs"])
    m_client = ep_client[ep[rated]] + 1
    m_date = start[rated].tz_convert(tz).date if tz != "UTC" else start[rated].date
    # Some clients also fill in a PHQ-9 that tracks their ORS (lower ORS,
    # more symptoms). A spawned generator keeps every other column unchanged.
    prng = rng.spawn(1)[0]
    uses_phq9 = prng.random(n) < p.phq9_share
    phq_rows = uses_phq9[m_client - 1]
    phq9 = np.clip(np.round(0.7 * (34.0 - rows["ors"][rated]) + prng.normal(0.0, 2.0, m_client.size)), 0, 27)
    m_episode = ep[rated] + 1
    measures = pd.concat([
        pd.DataFrame({"client_id": m_client, "episode_id": m_episode, "date": m_date, "instrument": "SRS",
                      "total": rows["srs"][rated]}),
        pd.DataFrame({"client_id": m_client, "episode_id": m_episode, "date": m_date, "instrument": "ORS",
                      "total": rows["ors"][rated]}),
        pd.DataFrame({"client_id": m_client[phq_rows], "episode_id": m_episode[phq_rows],
                      "date": np.asarray(m_date)[phq_rows], "instrument": "PHQ-9", "total": phq9[phq_rows]}),
    ], ignore_index=True)

    # --- episodes as the practice's records show them on the as-of date --
    close_day = np.where(outcome == NO_GOODBYE, end_day + p.close_after_days,
                         np.where(outcome == PLANNED, end_day, end_day + 7))
    closed = (outcome != OPEN) & (close_day < horizon)
    ep_start_day = np.floor(ep_start)
    episodes = pd.DataFrame({
        "episode_id": np.arange(E) + 1,
        "client_id": ep_client + 1,
        "clinician": pd.Categorical.from_codes(ep_clin, categories=clin_email),
        "started": (origin + pd.to_timedelta(ep_start_day, unit="D")).date,
        "ended": pd.Series(origin + pd.to_timedelta(np.where(closed, close_day, 0), unit="D")).dt.date.where(closed).values,
        "end_reason": np.where(closed, np.array([END_REASON.get(o, "") for o in range(5)], dtype=object)[outcome], ""),
        "previous_episode_id": np.where(ep_prev >= 0, ep_prev + 1, 0),
    })
    truth_episodes = pd.DataFrame({
        "episode_id": np.arange(E) + 1,
        "client_id": ep_client + 1,
        "outcome": pd.Categorical.from_codes(outcome, categories=OUTCOMES),
        "true_end": (origin + pd.to_timedelta(np.nan_to_num(end_day, nan=0.0), unit="D")),
        "first_episode": ep_prev < 0,
    })

    clients = _clients_frame(rng, n, p, style)
    return SimulatedPractice(
        as_of=datetime.combine(as_of, datetime.min.time()), timezone=tz, clinicians=clinicians,
        clients=clients, episodes=episodes, appointments=appointments, measures=measures,
        truth=truth, truth_episodes=truth_episodes,
    )


def _clients_frame(rng, n, p, style) -> pd.DataFrame:
    fi = rng.integers(0, len(FIRST_NAMES), n)
    li = rng.integers(0, len(LAST_NAMES), n)
    first = np.array(FIRST_NAMES, dtype=object)[fi]
    last = np.array(LAST_NAMES, dtype=object)[li]
    ids = np.arange(n) + 1
    id_s = ids.astype(str).astype(object)
    has_email = rng.random(n) < 0.9
    has_phone = rng.random(n) < 0.85
    flags = np.full(n, "", dtype=object)
    for key, on in style.items():
        flags = np.where(on, np.where(flags == "", key, flags + ";" + key), flags)
    safety = rng.random(n) < p.safety_rate
    birth = pd.Timestamp("1950-01-01") + pd.to_timedelta(rng.integers(0, 365 * 55, n), unit="D")
    return pd.DataFrame({
        "client_id": ids,
        "first_name": first,
        "last_name": last,
        "preferred_name": np.where(rng.random(n) < 0.1, first.astype(str).astype(object), ""),
        "pronouns": np.array(PRONOUNS_BY_NAME, dtype=object)[fi],
        "birth_date": birth.date,
        "email": np.where(has_email, "client" + id_s + "@example.org", ""),
        "phone": np.where(has_phone, "+1555" + np.char.zfill(ids.astype(str), 7).astype(object), ""),
        "address_line1": (rng.integers(1, 200, n).astype(str).astype(object) + " "
                          + np.array(STREETS, dtype=object)[rng.integers(0, len(STREETS), n)]),
        "address_line2": "",
        "city": np.array(TOWNS, dtype=object)[rng.integers(0, len(TOWNS), n)],
        "region": "",
        "postal_code": np.char.zfill(rng.integers(1000, 99999, n).astype(str), 5).astype(object),
        "country": "GB",
        "consent_email": has_email & (rng.random(n) < 0.9),
        "consent_sms": has_phone & (rng.random(n) < 0.7),
        "consent_voicemail": has_phone & (rng.random(n) < 0.8),
        "consent_letter": rng.random(n) < 0.6,
        "do_not_contact": rng.random(n) < 0.01,
        "safety_concern": safety,
        "style_flags": flags,
    })


def dropout_share(sim: SimulatedPractice) -> float:
    """Share of episodes that truly end without goodbye (after full follow-up)."""
    o = sim.truth_episodes["outcome"]
    return float((o == "no_goodbye").mean())


def as_of_timestamp(sim: SimulatedPractice) -> pd.Timestamp:
    return pd.Timestamp(sim.as_of).tz_localize(sim.timezone).tz_convert("UTC")


__all__ = ["SimulatedPractice", "simulate", "dropout_share", "timedelta"]
