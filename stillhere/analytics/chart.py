"""Geometry for the practice view's server-rendered SVG charts.

Only coordinates live here; the templates draw them. Every chart also has a
table of the same numbers and a one-sentence summary for screen readers, and
the benchmark is a dashed line with its own label, so nothing is told by
colour alone.
"""

from dataclasses import dataclass

from .report import BENCHMARK, Rate, Survival

W, H = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 120, 12, 36


def _y(v: float) -> float:
    return TOP + (1 - v) * (H - TOP - BOTTOM)


@dataclass
class SurvivalChart:
    path: str
    band: str
    benchmark_y: float
    x_ticks: list[tuple[float, str]]
    y_ticks: list[tuple[float, str]]
    summary: str
    width: int = W
    height: int = H
    left: int = LEFT
    right_edge: int = W - RIGHT
    bottom_edge: int = H - BOTTOM


def survival_chart(s: Survival) -> SurvivalChart:
    span = s.sessions[-1] or 1

    def x(n):
        return LEFT + n / span * (W - LEFT - RIGHT)

    pts = []
    for i, n in enumerate(s.sessions):
        if i:
            pts.append(f"L{x(n):.1f},{_y(s.survival[i - 1]):.1f}")  # a step: flat, then down
        pts.append(("M" if i == 0 else "L") + f"{x(n):.1f},{_y(s.survival[i]):.1f}")
    upper = " ".join(f"{x(n):.1f},{_y(v):.1f}" for n, v in zip(s.sessions, s.upper))
    lower = " ".join(f"{x(n):.1f},{_y(v):.1f}" for n, v in reversed(list(zip(s.sessions, s.lower))))
    at = {n: v for n, v in zip(s.sessions, s.survival)}
    bits = [f"after session {n}, {at[n]:.0%}" for n in (1, 3, 6, 12) if n in at]
    summary = (f"Of {s.episodes} episodes, the share still engaged (not gone without goodbye): "
               + "; ".join(bits) + "." + (f" Half had left by session {s.median:g}." if s.median else ""))
    return SurvivalChart(
        path=" ".join(pts), band=f"{upper} {lower}", benchmark_y=_y(1 - BENCHMARK),
        x_ticks=[(x(n), str(n)) for n in s.sessions if n % 5 == 0 or n == 1],
        y_ticks=[(_y(v), f"{v:.0%}") for v in (0, 0.25, 0.5, 0.75, 1)], summary=summary)


@dataclass
class Bar:
    label: str
    y: float
    width: float
    lo: float
    hi: float
    text: str


@dataclass
class BarChart:
    bars: list[Bar]
    benchmark_x: float
    height: int
    summary: str
    width: int = W
    left: int = 180
    bar_h: int = 18


def dropout_bars(rows: list[Rate]) -> BarChart:
    left, right, row_h = 180, 80, 28
    top = 20
    scale_max = max([0.5] + [r.ci[1] for r in rows if r.ci])

    def x(v):
        return left + v / scale_max * (W - left - right)

    bars = []
    for i, r in enumerate(rows):
        if r.rate is None:
            continue
        lo, hi = r.ci
        bars.append(Bar(r.label, top + i * row_h, x(r.rate) - left, x(lo), x(hi),
                        f"{r.rate:.0%} ({r.events} of {r.total})"))
    high = [r.label for r in rows if r.versus_benchmark == "above the benchmark"]
    summary = (f"Dropout by clinician against the {BENCHMARK:.1%} benchmark. "
               + (f"Above it: {', '.join(high)}." if high else "Nobody is clearly above it."))
    return BarChart(bars, x(BENCHMARK), top + len(rows) * row_h + 24, summary)


@dataclass
class Point:
    x: float
    y: float
    text: str


@dataclass
class CalibrationChart:
    """Predicted against observed, tenth by tenth, for each model: on the
    diagonal is a model whose percentages come true."""

    series: list[tuple[str, str, list[Point]]]   # (label, css class, points)
    diagonal: tuple[float, float, float, float]
    ticks: list[tuple[float, float, str]]        # (x, y, label): the same scale on both axes
    summary: str
    width: int = W
    height: int = H
    left: int = LEFT
    right_edge: int = W - RIGHT
    bottom_edge: int = H - BOTTOM


def calibration_chart(series: list[tuple[str, str, list[dict]]]) -> CalibrationChart:
    """`series`: (label, css class, [{predicted, observed, n}]) per model."""
    top = max([0.05] + [max(c["predicted"], c["observed"]) for _, _, cal in series for c in cal])
    top = min(1.0, (int(top * 20) + 1) / 20)      # up to the next 5%

    def x(v):
        return LEFT + v / top * (W - LEFT - RIGHT)

    def y(v):
        return _y(v / top)

    out = []
    for label, css, cal in series:
        out.append((label, css, [Point(x(c["predicted"]), y(c["observed"]),
                                       f"predicted {c['predicted']:.1%}, observed {c['observed']:.1%}") for c in cal]))
    ticks = [(x(v), y(v), f"{v:.0%}") for v in (top * i / 4 for i in range(5))]
    worst = []
    for label, _, cal in series:
        if cal:
            gap = max(abs(c["predicted"] - c["observed"]) for c in cal)
            worst.append(f"{label}: the largest gap between predicted and observed in a tenth is {gap:.1%}")
    summary = ("Each point is a tenth of the held-out moments, by predicted risk: across, the average predicted; "
               "up, the share who left. Points on the diagonal came true. " + "; ".join(worst) + ".")
    return CalibrationChart(out, (x(0), y(0), x(top), y(top)), ticks, summary)
