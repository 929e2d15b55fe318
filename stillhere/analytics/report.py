"""The practice view: how often clients leave without goodbye or miss
sessions, when in treatment they leave, and what brought people back.

Every figure is an aggregate over the practice's own rows for a period,
computed with a few grouped queries (no loop of queries per episode), and
each rate comes with its count and a 95% interval so a director can tell a
real difference from a small number.
"""

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property

from django.db.models import Count, Max, Q

from stillhere.clients.models import Appointment, Episode
from stillhere.engagement.models import StateChange

# Swift & Greenberg (2012), meta-analysis of 669 studies: weighted mean
# premature termination 19.7% (95% CI 18.7%-20.7%).
BENCHMARK = 0.197
BENCHMARK_CI = (0.187, 0.207)
BENCHMARK_SOURCE = "Swift & Greenberg (2012), 669 studies: 19.7% (95% CI 18.7–20.7%)"
MAX_SESSIONS = 30  # the survival chart's right edge


@dataclass
class Rate:
    label: str
    events: int
    total: int

    @property
    def rate(self) -> float | None:
        return self.events / self.total if self.total else None

    @cached_property
    def ci(self) -> tuple[float, float] | None:
        if not self.total:
            return None
        return wilson_interval(self.events, self.total)

    @property
    def versus_benchmark(self) -> str:
        ci = self.ci
        if ci is None:
            return "no endings yet"
        if ci[0] > BENCHMARK_CI[1]:
            return "above the benchmark"
        if ci[1] < BENCHMARK_CI[0]:
            return "below the benchmark"
        return "in line with the benchmark"


Z95 = 1.959963984540054  # the normal quantile for a two-sided 95% interval


def wilson_interval(events: int, total: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for events/total, in closed form.

    The same figures as SciPy's `binomtest(...).proportion_ci(method="wilson")`
    (a test holds them side by side), without building a test object per rate:
    the practice page shows hundreds of rates, and that cost 2.4 s a request.
    """
    p = events / total
    z2 = z * z
    denom = 1 + z2 / total
    centre = (p + z2 / (2 * total)) / denom
    half = z * math.sqrt(p * (1 - p) / total + z2 / (4 * total * total)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass
class Survival:
    sessions: list[int]
    survival: list[float]
    lower: list[float]
    upper: list[float]
    at_risk: list[int]
    episodes: int
    events: int
    median: float | None


@dataclass
class FunnelRow:
    key: str
    channel: str
    handed_off: int
    came_back_after: int

    @property
    def rate(self) -> float | None:
        return self.came_back_after / self.handed_off if self.handed_off else None

    @property
    def step_name(self) -> str:
        from stillhere.outreach.words import step_name

        return step_name(self.key)

    @property
    def channel_name(self) -> str:
        from stillhere.outreach.words import CHANNEL_NAMES

        return CHANNEL_NAMES.get(self.channel, self.channel).capitalize()


@dataclass
class Report:
    start: date
    end: date
    dropout: Rate
    dropout_by_clinician: list[Rate]
    ended_by_reason: dict[str, int]
    noshow: Rate
    late_cancel: Rate
    noshow_by_clinician: list[Rate]
    survival: Survival | None
    sequences: int = 0
    came_back: int = 0
    closed_door_open: int = 0
    still_running: int = 0
    came_back_before_contact: int = 0
    funnel: list[FunnelRow] = field(default_factory=list)


def practice_report(practice, start: date, end: date, now: datetime) -> Report:
    tz = practice.tz
    t0 = datetime.combine(start, time.min, tz)
    t1 = min(datetime.combine(end + timedelta(days=1), time.min, tz), now)
    dropout, by_clin, reasons = _dropout(practice, start, end)
    noshow, late, noshow_clin = _noshows(practice, t0, t1)
    report = Report(start, end, dropout, by_clin, reasons, noshow, late, noshow_clin,
                    _survival(practice, start, end))
    _funnel(practice, t0, t1, report)
    return report


def _name(m) -> str:
    return m.display_name or f"{m.user.first_name} {m.user.last_name}".strip() or m.user.username


def _dropout(practice, start, end):
    ended = Episode.objects.filter(practice=practice, ended__gte=start, ended__lte=end)
    reasons = dict(ended.values_list("end_reason").annotate(n=Count("id")).values_list("end_reason", "n"))
    nogo = Q(end_reason=Episode.EndReason.NO_GOODBYE)
    total = ended.aggregate(n=Count("id"), d=Count("id", filter=nogo))
    rows = (ended.values("clinician").annotate(n=Count("id"), d=Count("id", filter=nogo)).order_by("clinician"))
    names = _clinicians(practice, [r["clinician"] for r in rows])
    by = [Rate(names[r["clinician"]], r["d"], r["n"]) for r in rows]
    return Rate("Whole practice", total["d"], total["n"]), sorted(by, key=lambda r: r.label), reasons


def _clinicians(practice, ids) -> dict[int, str]:
    from stillhere.accounts.models import Membership

    return {m.pk: _name(m) for m in Membership.objects.filter(practice=practice, pk__in=ids).select_related("user")}


def _noshows(practice, t0, t1):
    S = Appointment.Status
    kept = [S.ATTENDED, S.NO_SHOW, S.LATE_CANCEL]
    appts = Appointment.objects.filter(practice=practice, start__gte=t0, start__lt=t1, status__in=kept)
    agg = dict(n=Count("id"), ns=Count("id", filter=Q(status=S.NO_SHOW)), lc=Count("id", filter=Q(status=S.LATE_CANCEL)))
    total = appts.aggregate(**agg)
    rows = appts.values("episode__clinician").annotate(**agg).order_by("episode__clinician")
    names = _clinicians(practice, [r["episode__clinician"] for r in rows])
    by = sorted((Rate(names[r["episode__clinician"]], r["ns"], r["n"]) for r in rows), key=lambda r: r.label)
    return Rate("No-shows", total["ns"], total["n"]), Rate("Late cancels", total["lc"], total["n"]), by


def _survival(practice, start, end) -> Survival | None:
    """Kaplan-Meier: the share of episodes still engaged after each attended
    session. Leaving without goodbye is the event; an episode still open, or
    ended any other way (planned, by the client, referred), is censored at
    the sessions it reached. Episodes that started in the period."""
    import numpy as np
    from lifelines import KaplanMeierFitter

    rows = list(Episode.objects.filter(practice=practice, started__gte=start, started__lte=end)
                .annotate(n=Max("appointments__session_number",
                                filter=Q(appointments__status=Appointment.Status.ATTENDED)))
                .values_list("n", "end_reason"))
    if len(rows) < 5:
        return None
    durations = np.array([n or 0 for n, _ in rows], dtype=float)
    events = np.array([r == Episode.EndReason.NO_GOODBYE for _, r in rows])
    km = KaplanMeierFitter().fit(durations, events, label="engaged")
    grid = list(range(0, MAX_SESSIONS + 1))
    surv = km.survival_function_at_times(grid).to_numpy()
    ci = km.confidence_interval_survival_function_
    lo = np.interp(grid, ci.index.to_numpy(), ci.iloc[:, 0].to_numpy())
    hi = np.interp(grid, ci.index.to_numpy(), ci.iloc[:, 1].to_numpy())
    at_risk = [int((durations >= s).sum()) for s in grid]
    median = km.median_survival_time_
    return Survival(grid, [float(x) for x in surv], [float(x) for x in lo], [float(x) for x in hi], at_risk,
                    len(rows), int(events.sum()), None if median == float("inf") else float(median))


def _funnel(practice, t0, t1, report: Report) -> None:
    """Which outreach step, on which channel, brought people back.

    For each paced sequence started in the period, the first re-engagement
    after it started (a StateChange to re_engaged) is credited to the last
    step handed to the client before it; a return before any contact is
    counted apart.
    """
    from stillhere.outreach.models import OutreachStep, Sequence

    seqs = list(Sequence.objects.filter(practice=practice, kind=Sequence.Kind.CADENCE, started__gte=t0,
                                        started__lt=t1).values("id", "episode_id", "started", "status"))
    report.sequences = len(seqs)
    if not seqs:
        return
    ep_ids = [s["episode_id"] for s in seqs]
    back = {}
    for ep, at in (StateChange.objects.filter(episode_id__in=ep_ids, new_state=Episode.State.RE_ENGAGED)
                   .order_by("at").values_list("episode_id", "at")):
        back.setdefault(ep, []).append(at)
    ended = set(Episode.objects.filter(pk__in=ep_ids, end_reason=Episode.EndReason.NO_GOODBYE)
                .values_list("pk", flat=True))
    steps: dict[int, list] = {}
    for seq_id, key, channel, when in (OutreachStep.objects.filter(sequence_id__in=[s["id"] for s in seqs],
                                                                    status__in=OutreachStep.HANDED_OFF)
                                       .values_list("sequence_id", "key", "channel", "finished")):
        steps.setdefault(seq_id, []).append((key, channel, when))
    counts: dict[tuple, list[int]] = {}
    for s in seqs:
        mine = sorted(steps.get(s["id"], []), key=lambda x: x[2] or s["started"])
        for key, channel, _ in mine:
            counts.setdefault((key, channel), [0, 0])[0] += 1
        returned = next((at for at in back.get(s["episode_id"], []) if at >= s["started"]), None)
        if returned:
            report.came_back += 1
            before = [x for x in mine if (x[2] or s["started"]) <= returned]
            if before:
                counts[(before[-1][0], before[-1][1])][1] += 1
            else:
                report.came_back_before_contact += 1
        elif s["episode_id"] in ended:
            report.closed_door_open += 1
        elif s["status"] == Sequence.Status.RUNNING:
            report.still_running += 1
    order = {"call": 0, "message": 1, "letter": 2, "closing": 3}
    report.funnel = [FunnelRow(k, ch, n, b) for (k, ch), (n, b) in
                     sorted(counts.items(), key=lambda kv: (order.get(kv[0][0], 9), kv[0][1]))]
