"""A client's scores over time as an accessible, server-rendered SVG.

Only geometry lives here; `templates/measures/chart.html` draws it. Each
chart has the cutoff line, the points joined in date order, alert points
drawn larger and in another shape (so colour is never the only cue), a
spoken summary for screen readers and the same numbers as a table.
"""

import math
from dataclasses import dataclass, field
from datetime import date

from .alerts import Alert
from .instruments import ADULT, Instrument

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 96, 14, 34  # the cutoff is labelled in the right margin


@dataclass
class Point:
    x: float
    y: float
    on: date
    total: float
    band: str
    alerts: list[Alert] = field(default_factory=list)

    @property
    def label(self) -> str:
        text = f"{self.on.day} {self.on:%b %Y}: {self.total:g} ({self.band})"
        return text + "".join(f". {a.reason}" for a in self.alerts)

    @property
    def diamond(self) -> str:
        r = 7
        return f"{self.x:.1f},{self.y - r:.1f} {self.x + r:.1f},{self.y:.1f} {self.x:.1f},{self.y + r:.1f} " \
               f"{self.x - r:.1f},{self.y:.1f}"


@dataclass
class Chart:
    instrument: Instrument
    points: list[Point]
    y_ticks: list[tuple[float, str]]
    x_ticks: list[tuple[float, str, str]]  # x, label, text-anchor
    cutoff_y: float | None
    cutoff_label: str
    summary: str
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT
    top: int = TOP
    bottom_edge: int = HEIGHT - BOTTOM

    @property
    def path(self) -> str:
        return " ".join(("M" if i == 0 else "L") + f"{p.x:.1f},{p.y:.1f}" for i, p in enumerate(self.points))

    @property
    def alert_count(self) -> int:
        return sum(bool(p.alerts) for p in self.points)

    @property
    def slug(self) -> str:
        return "".join(ch for ch in self.instrument.code.lower() if ch.isalnum())


def _nice_step(span: float) -> float:
    raw = span / 6
    mag = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    return next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)


def build_chart(inst: Instrument, series, alerts: list[Alert], population: str = ADULT) -> Chart:
    """`series`: objects with `taken_on` and `total`, oldest first (one instrument)."""
    series = list(series)
    values = [float(r.total) for r in series]
    cut = inst.cutoff(population)
    lo, hi = inst.total_low, inst.total_high
    # SRS and ORS crowd the top of the scale; start the axis nearer the data
    # so a two-point drop is visible (the axis labels say where it starts).
    step = _nice_step(hi - lo)
    if inst.higher_is_better and values:
        floor_at = min(values + ([cut.value] if cut else [])) - (hi - lo) * 0.1
        lo = max(lo, math.floor(floor_at / step) * step)
        step = _nice_step(hi - lo)

    def y_of(v):
        return TOP + (hi - v) / (hi - lo) * (HEIGHT - TOP - BOTTOM)

    days = [r.taken_on for r in series]
    first, last = (min(days), max(days)) if days else (None, None)
    span = (last - first).days if days else 0

    def x_of(d):
        if not span:
            return (LEFT + WIDTH - RIGHT) / 2
        return LEFT + (d - first).days / span * (WIDTH - LEFT - RIGHT)

    by_day = {}
    for a in alerts:
        by_day.setdefault(a.on, []).append(a)
    points = []
    for r, v in zip(series, values):
        p = Point(x_of(r.taken_on), y_of(v), r.taken_on, v, inst.band(v, population))
        if not any(q.on == r.taken_on for q in points):
            p.alerts = by_day.get(r.taken_on, [])
        points.append(p)

    y_ticks, t = [], lo
    while t <= hi + 1e-9:
        y_ticks.append((y_of(t), f"{t:g}"))
        t += step
    x_ticks = []
    if days:
        n = 1 if not span else min(5, len(set(days)))
        for i in range(n):
            d = first if n == 1 else date.fromordinal(first.toordinal() + round(i * span / (n - 1)))
            anchor = "start" if i == 0 and n > 1 else "end" if i == n - 1 and n > 1 else "middle"
            x_ticks.append((x_of(d), f"{d.day} {d:%b}" + (f" {d:%y}" if first.year != last.year else ""), anchor))

    n_alerts = sum(bool(p.alerts) for p in points)
    if values:
        summary = (f"{inst.code}: {len(values)} rating{'s' if len(values) != 1 else ''} from {first.day} "
                   f"{first:%b %Y} to {last.day} {last:%b %Y}; first {values[0]:g}, latest {values[-1]:g} "
                   f"({inst.band(values[-1], population)}).")
        if cut:
            summary += f" Cutoff {cut.value:g}: {cut.side} is {cut.label}."
        if n_alerts:
            summary += f" {n_alerts} point{'s' if n_alerts != 1 else ''} raised an alert."
    else:
        summary = f"No {inst.code} ratings yet."
    return Chart(instrument=inst, points=points, y_ticks=y_ticks, x_ticks=x_ticks,
                 cutoff_y=y_of(cut.value) if cut and lo <= cut.value <= hi else None,
                 cutoff_label=f"cutoff {cut.value:g}" if cut else "", summary=summary)
