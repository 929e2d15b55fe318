"""Alerts from a client's scores, each with its reason in words.

`current_alerts()` is pure: give it a client's results in date order and it
says what a clinician should know before the next session. The engagement
and risk engines call it with rows from the database; the client page calls
it to draw alert points on the chart. The rules, per instrument:

- safety: the latest answers to a safety item (PHQ-9 item 9) are above 0;
  the newest result that has item answers decides, so a later total-only
  PHQ-9 does not clear it;
- alliance instruments (SRS):
  - alliance_low: the latest rating is below the cutoff;
  - alliance_drop: it fell from the previous rating by `alliance_drop` or more;
  - alliance_below_baseline: otherwise, it sits `alliance_baseline_drop` or
    more below the client's own baseline (mean of their first ratings), which
    catches a slow slide no single session shows;
- outcome instruments (ORS, PHQ-9, GAD-7, custom), first match wins:
  - deterioration: reliably worse than the first score;
  - not_on_track: `not_on_track_after` ratings in, no reliable improvement
    and still in the clinical range;
  - plateau: the last `plateau_ratings` scores moved less than half the
    reliable change and the client is still in the clinical range.

When results carry an `episode_id`, only the newest episode counts: a return
to therapy starts from a fresh baseline.
"""

from dataclasses import dataclass
from datetime import date

from .instruments import ADULT, ALLIANCE, DEFAULT_REGISTRY, Instrument, Registry

SAFETY = "safety"
ALLIANCE_LOW = "alliance_low"
ALLIANCE_DROP = "alliance_drop"
ALLIANCE_BELOW_BASELINE = "alliance_below_baseline"
DETERIORATION = "deterioration"
NOT_ON_TRACK = "not_on_track"
PLATEAU = "plateau"
KINDS = (SAFETY, ALLIANCE_LOW, ALLIANCE_DROP, ALLIANCE_BELOW_BASELINE, DETERIORATION, NOT_ON_TRACK, PLATEAU)
LABELS = {
    SAFETY: "Safety item", ALLIANCE_LOW: "Alliance below cutoff", ALLIANCE_DROP: "Alliance falling",
    ALLIANCE_BELOW_BASELINE: "Alliance below this client's baseline", DETERIORATION: "Reliably worse",
    NOT_ON_TRACK: "Not on track", PLATEAU: "Plateau",
}


@dataclass(frozen=True)
class AlertSettings:
    # At least the reliable change the product uses for the SRS elsewhere
    # (instruments.py: 3 points). PCOMS tools flag any drop of a point, but a
    # 1- or 2-point change is within the SRS's session-to-session noise and,
    # across a caseload, buried the inbox (bench/inbox_noise.py).
    alliance_drop: float = 3.0
    # Our default: two points under the mean of the first ratings is a slide
    # worth naming even when no single session fell by a point.
    alliance_baseline_drop: float = 2.0
    baseline_ratings: int = 3
    # Most clients who will benefit show reliable change within 6 sessions
    # (Lambert's expected-treatment-response work); later is a conversation.
    not_on_track_after: int = 6
    plateau_ratings: int = 4


@dataclass(frozen=True)
class Alert:
    instrument: str
    kind: str
    reason: str
    on: date
    total: float

    @property
    def is_safety(self) -> bool:
        return self.kind == SAFETY

    @property
    def label(self) -> str:
        return LABELS[self.kind]


def _get(r, name, default=None):
    return r.get(name, default) if isinstance(r, dict) else getattr(r, name, default)


def _d(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def _n(x: float) -> str:
    return f"{round(x, 1):g}"


def _points(x: float) -> str:
    return f"{_n(x)} point" + ("" if round(x, 1) == 1 else "s")


def _in_concern(inst: Instrument, total: float, population: str) -> bool:
    cut = inst.cutoff(population)
    return True if cut is None else cut.is_concern(total)


def _safety(inst: Instrument, series: list) -> list[Alert]:
    with_items = [r for r in series if _get(r, "items")]
    if not inst.safety_items or not with_items:
        return []
    r = with_items[-1]
    items, on = _get(r, "items"), _get(r, "taken_on")
    out = []
    for s in inst.safety_items:
        if s.number <= len(items) and items[s.number - 1] is not None and float(items[s.number - 1]) > s.above:
            answer = f"the answer was {_n(float(items[s.number - 1]))}"
            out.append(Alert(inst.code, SAFETY, f"{inst.code} on {_d(on)}: item {s.number} {s.reason} ({answer}). "
                                                f"Look at this "
                                                f"the same day and check on the client's safety.", on,
                             float(_get(r, "total"))))
    return out


def _alliance(inst: Instrument, series: list, st: AlertSettings, population: str) -> list[Alert]:
    last = series[-1]
    v, on = float(_get(last, "total")), _get(last, "taken_on")
    out = []
    cut = inst.cutoff(population)
    if cut is not None and cut.is_concern(v):
        out.append(Alert(inst.code, ALLIANCE_LOW, f"{inst.code} {_n(v)} on {_d(on)} is {cut.side}, the cutoff for an "
                                                  f"{cut.label}. Ask early in the next session what could work "
                                                  f"better.", on, v))
    dropped = False
    if len(series) >= 2:
        prev = series[-2]
        pv = float(_get(prev, "total"))
        if pv - v >= st.alliance_drop - 1e-9:
            dropped = True
            out.append(Alert(inst.code, ALLIANCE_DROP,
                             f"{inst.code} fell {_points(pv - v)} since the previous session, from {_n(pv)} on "
                             f"{_d(_get(prev, 'taken_on'))} to {_n(v)} on {_d(on)}. Invite the client to say what "
                             f"felt off.", on, v))
    k = st.baseline_ratings
    if not dropped and len(series) > k:
        base = sum(float(_get(r, "total")) for r in series[:k]) / k
        if base - v >= st.alliance_baseline_drop - 1e-9:
            out.append(Alert(inst.code, ALLIANCE_BELOW_BASELINE,
                             f"{inst.code} {_n(v)} on {_d(on)} is {_points(base - v)} below this client's own "
                             f"baseline of {_n(base)} (the average of their first {k} ratings).", on, v))
    return out


def _outcome(inst: Instrument, series: list, st: AlertSettings, population: str) -> list[Alert]:
    first, last = series[0], series[-1]
    f, v, on = float(_get(first, "total")), float(_get(last, "total")), _get(last, "taken_on")
    rc = inst.reliable_change
    change = inst.improvement(f, v)
    since = f"from {_n(f)} on {_d(_get(first, 'taken_on'))} to {_n(v)} on {_d(on)}"
    if len(series) >= 2 and change <= -rc + 1e-9:
        return [Alert(inst.code, DETERIORATION,
                      f"{inst.code} is reliably worse: {since}, a change of {_points(-change)} (reliable change "
                      f"is {_points(rc)}). Talk about it in the next session.", on, v)]
    still = _in_concern(inst, v, population)
    n = len(series)
    if n >= st.not_on_track_after and change < rc - 1e-9 and still:
        return [Alert(inst.code, NOT_ON_TRACK,
                      f"Not on track: after {n} ratings {inst.code} has not improved reliably ({since}; reliable "
                      f"change is {_points(rc)}). Talk together about whether the work is helping.", on, v)]
    k = st.plateau_ratings
    if n >= k and still:
        window = [float(_get(r, "total")) for r in series[-k:]]
        spread = max(window) - min(window)
        if spread < rc / 2:
            return [Alert(inst.code, PLATEAU,
                          f"{inst.code} has stayed between {_n(min(window))} and {_n(max(window))} over the last {k} "
                          f"ratings (since {_d(_get(series[-k], 'taken_on'))}) and is still in the clinical range. "
                          f"Consider talking about what might move things.", on, v)]
    return []


def _newest_episode(results: list) -> list:
    eps = [_get(r, "episode_id") for r in results]
    if not any(e is not None for e in eps):
        return results
    newest = next(e for e in reversed(eps) if e is not None)
    return [r for r, e in zip(results, eps) if e == newest]


def current_alerts(results, *, registry: Registry | None = None, settings: AlertSettings | None = None,
                   population: str = ADULT, as_of: date | None = None) -> list[Alert]:
    """The alerts that stand now (or on `as_of`), safety first, for one client's results.

    `results` are MeasureResult rows or any objects/dicts with `instrument`,
    `taken_on`, `total` and optionally `items` and `episode_id`, oldest
    first. Instruments the registry does not know are skipped.
    """
    reg = registry or DEFAULT_REGISTRY
    st = settings or AlertSettings()
    results = list(results)
    if as_of is not None:
        results = [r for r in results if _get(r, "taken_on") <= as_of]
    by_inst: dict[str, tuple[Instrument, list]] = {}
    for r in _newest_episode(results):
        inst = reg.get(_get(r, "instrument", ""))
        if inst is not None:
            by_inst.setdefault(inst.code, (inst, []))[1].append(r)
    alerts = []
    for inst, series in by_inst.values():
        alerts += _safety(inst, series)
        if inst.kind == ALLIANCE:
            alerts += _alliance(inst, series, st, population)
        else:
            alerts += _outcome(inst, series, st, population)
    return sorted(alerts, key=lambda a: (not a.is_safety, KINDS.index(a.kind)))


def alert_points(results, **kwargs) -> list[Alert]:
    """Every alert as it stood on the day it was raised, for the chart: the
    rules are replayed on each prefix of the history."""
    results = list(results)
    reg = kwargs.get("registry") or DEFAULT_REGISTRY
    seen, out = set(), []
    for i, r in enumerate(results):
        inst = reg.get(_get(r, "instrument", ""))
        on = _get(r, "taken_on")
        for a in current_alerts(results[: i + 1], **kwargs):
            key = (a.instrument, a.kind, a.on)
            if inst is not None and a.instrument == inst.code and a.on == on and key not in seen:
                seen.add(key)
                out.append(a)
    return out
