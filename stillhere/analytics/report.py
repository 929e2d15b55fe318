"""The practice view: how often clients leave without goodbye or miss
sessions, when in treatment they leave, and what brought people back.

Every figure is an aggregate over the practice's own rows for a period,
computed with a few grouped queries (no loop of queries per episode), and
each rate comes with its count and a 95% interval so a director can tell a
real difference from a small number.
"""

import math
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property

from django.db import connection
from django.db.models import Case, Count, IntegerField, Max, Q, When
from django.db.models.functions import Coalesce

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
    ended = _endings(practice, start, end)
    seen = _appointments(practice, t0, t1)
    names = _clinicians(practice, {c for c, _ in ended} | set(seen))
    dropout, by_clin, reasons = _dropout(ended, names)
    noshow, late, noshow_clin = _noshows(seen, names)
    report = Report(start, end, dropout, by_clin, reasons, noshow, late, noshow_clin,
                    _survival(practice, start, end))
    _funnel(practice, t0, t1, report)
    return report


def _name(m) -> str:
    return m.display_name or f"{m.user.first_name} {m.user.last_name}".strip() or m.user.username


def _endings(practice, start, end) -> dict[tuple[int, str], int]:
    """Episodes ended in the period, counted by clinician and how they ended:
    one grouped query, from which every dropout figure is summed."""
    rows = (Episode.objects.filter(practice=practice, ended__gte=start, ended__lte=end)
            .values_list("clinician_id", "end_reason").annotate(n=Count("id")).order_by())
    return {(c, r): n for c, r, n in rows}


def _dropout(ended, names):
    nogo = Episode.EndReason.NO_GOODBYE
    reasons: dict[str, int] = {}
    per: dict[int, list[int]] = {}
    for (clinician, reason), n in ended.items():
        reasons[reason] = reasons.get(reason, 0) + n
        counts = per.setdefault(clinician, [0, 0])
        counts[0] += n
        counts[1] += n if reason == nogo else 0
    by = [Rate(names[c], d, n) for c, (n, d) in per.items()]
    total = Rate("Whole practice", sum(d for _, d in per.values()), sum(n for n, _ in per.values()))
    return total, sorted(by, key=lambda r: r.label), reasons


def _clinicians(practice, ids) -> dict[int, str]:
    from stillhere.accounts.models import Membership

    return {m.pk: _name(m) for m in Membership.objects.filter(practice=practice, pk__in=ids).select_related("user")}


def _appointments(practice, t0, t1) -> dict[int, tuple[int, int, int]]:
    """Sessions held or missed in the period, by clinician: (all, no-shows,
    late cancels), one grouped query."""
    S = Appointment.Status
    rows = (Appointment.objects.filter(practice=practice, start__gte=t0, start__lt=t1,
                                       status__in=[S.ATTENDED, S.NO_SHOW, S.LATE_CANCEL])
            .values_list("episode__clinician").order_by()
            .annotate(n=Count("id"), ns=Count("id", filter=Q(status=S.NO_SHOW)),
                      lc=Count("id", filter=Q(status=S.LATE_CANCEL))))
    return {c: (n, ns, lc) for c, n, ns, lc in rows}


def _noshows(seen, names):
    n = sum(v[0] for v in seen.values())
    by = sorted((Rate(names[c], ns, k) for c, (k, ns, _) in seen.items()), key=lambda r: r.label)
    return (Rate("No-shows", sum(v[1] for v in seen.values()), n),
            Rate("Late cancels", sum(v[2] for v in seen.values()), n), by)


def _survival(practice, start, end) -> Survival | None:
    """Kaplan-Meier: the share of episodes still engaged after each attended
    session. Leaving without goodbye is the event; an episode still open, or
    ended any other way (planned, by the client, referred), is censored at
    the sessions it reached. Episodes that started in the period.

    Computed in the database: one grouped query says how many episodes
    reached each number of sessions and how many of those left without
    goodbye; the estimate over those few dozen counts is arithmetic
    (`kaplan_meier`), the same figures lifelines gives (a test holds them
    side by side) without importing it, pandas and SciPy into the web
    process."""
    per_episode = (Episode.objects.filter(practice=practice, started__gte=start, started__lte=end)
                   .annotate(n=Coalesce(Max("appointments__session_number",
                                            filter=Q(appointments__status=Appointment.Status.ATTENDED)), 0),
                             ev=Case(When(end_reason=Episode.EndReason.NO_GOODBYE, then=1), default=0,
                                     output_field=IntegerField()))
                   .order_by().values("n", "ev"))
    sql, params = per_episode.query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute(f"SELECT n, ev, COUNT(*) FROM ({sql}) per_episode GROUP BY n, ev", params)
        counts = cur.fetchall()
    if sum(k for _, _, k in counts) < 5:
        return None
    return kaplan_meier(counts)


def kaplan_meier(counts, z: float = Z95, until: int = MAX_SESSIONS) -> Survival:
    """The Kaplan-Meier estimate from (sessions reached, left without goodbye
    (0/1), episodes) counts, read at 0..`until` sessions, with the
    exponential Greenwood 95% band, as lifelines' KaplanMeierFitter computes
    it (band read between its steps by straight lines, as the chart draws
    it), and the median (the first point where half or fewer are left)."""
    removed: dict[int, int] = {}
    died: dict[int, int] = {}
    for n, ev, k in counts:
        n = int(n or 0)
        removed[n] = removed.get(n, 0) + k
        died[n] = died.get(n, 0) + (k if ev else 0)
    episodes = sum(removed.values())
    times = sorted(set(removed) | {0})
    at_risk, s, log_s, var = episodes, [], 0.0, 0.0
    lower, upper = [], []
    for t in times:
        d = died.get(t, 0)
        if d:
            log_s = log_s + math.log(at_risk - d) - math.log(at_risk) if at_risk > d else -math.inf
            var += d / (at_risk * (at_risk - d)) if at_risk > d else 0.0
        at_risk -= removed.get(t, 0)
        s.append(math.exp(log_s))
        lo, hi = _greenwood(log_s, var, z)
        lower.append(lo)
        upper.append(hi)
    grid = list(range(0, until + 1))
    step = [s[bisect_right(times, g) - 1] for g in grid]
    below = next((t for t, v in zip(times, s) if v <= 0.5), None)
    reached = sorted(removed.items())
    left = [sum(k for n, k in reached if n >= g) for g in grid]
    return Survival(grid, step, [_interp(g, times, lower) for g in grid], [_interp(g, times, upper) for g in grid],
                    left, episodes, sum(died.values()), None if below is None else float(below))


def _greenwood(log_s: float, var: float, z: float) -> tuple[float, float]:
    """The band at one step: exp(-exp(log(-log S) -/+ z sqrt(var) / log S)),
    1 where S is still 1 (no event yet) and 0 where S has reached 0."""
    if log_s == 0.0:
        return 1.0, 1.0
    if log_s == -math.inf:
        return 0.0, 0.0
    spread = z * math.sqrt(var) / log_s
    return math.exp(-math.exp(math.log(-log_s) - spread)), math.exp(-math.exp(math.log(-log_s) + spread))


def _interp(x: float, xs: list[int], ys: list[float]) -> float:
    """Straight-line reading between known points, flat beyond them (numpy's interp)."""
    i = bisect_right(xs, x)
    if i == 0:
        return ys[0]
    if i == len(xs):
        return ys[-1]
    x0, x1, y0, y1 = xs[i - 1], xs[i], ys[i - 1], ys[i]
    return y0 + (y1 - y0) * (x - x0) / (x1 - x0)


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
