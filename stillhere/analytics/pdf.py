"""The practice view as a PDF to print or file: the same report object the
page draws, laid out on A4 with the period on the cover. Aggregates only:
no client is named anywhere in it."""

from datetime import datetime

from fpdf import FPDF
from fpdf.fonts import FontFace

from stillhere.channels.letter.pdf import FONT_DIR
from stillhere.outreach.words import CHANNEL_NAMES, step_name

from .report import BENCHMARK, BENCHMARK_SOURCE, Report

INK, MUTED, ACCENT, ALERT = (29, 35, 48), (79, 88, 102), (36, 91, 143), (155, 28, 28)


def pct(v) -> str:
    return "–" if v is None else f"{v:.0%}"


def interval(row) -> str:
    ci = row.ci
    return f"{pct(row.rate)} ({ci[0]:.0%}–{ci[1]:.0%})" if ci else "–"


class ReportDoc(FPDF):
    def __init__(self, practice_name: str, period: str):
        super().__init__(format="A4", unit="mm")
        self.practice_name, self.period = practice_name, period
        self.set_margins(18, 18, 18)
        self.set_auto_page_break(True, margin=18)
        self.add_font("Body", "", str(FONT_DIR / "DejaVuSans.ttf"))
        self.add_font("Body", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.set_title(f"{practice_name}: practice report, {period}")
        self.set_creator("stillhere")

    def footer(self):
        if self.page_no() == 1:
            return
        self.set_y(-12)
        self.set_font("Body", size=8)
        self.set_text_color(*MUTED)
        self.cell(0, 5, f"{self.practice_name} · {self.period} · page {self.page_no()}", align="C")

    def h2(self, text: str):
        self.ln(4)
        self.set_font("Body", "B", 14)
        self.set_text_color(*ACCENT)
        self.multi_cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(*INK)
        self.set_font("Body", size=10.5)

    def para(self, text: str, muted: bool = False):
        self.set_font("Body", size=9 if muted else 10.5)
        self.set_text_color(*(MUTED if muted else INK))
        self.multi_cell(0, 5.5, text, new_x="LMARGIN", new_y="NEXT", align="L")
        self.set_text_color(*INK)
        self.ln(1)

    def grid(self, head: list[str], rows: list[list[str]], widths=None):
        self.set_font("Body", size=9.5)
        with self.table(col_widths=widths, headings_style=FontFace(emphasis="BOLD", fill_color=(232, 238, 245)),
                        line_height=6, text_align="LEFT") as t:
            t.row(head)
            for r in rows:
                t.row([str(c) for c in r])
        self.ln(2)


def _cover(doc: ReportDoc, r: Report, now: datetime):
    doc.add_page()
    doc.set_y(70)
    doc.set_font("Body", "B", 26)
    doc.set_text_color(*INK)
    doc.multi_cell(0, 12, doc.practice_name, new_x="LMARGIN", new_y="NEXT")
    doc.set_font("Body", size=16)
    doc.set_text_color(*ACCENT)
    doc.cell(0, 10, "Practice report", new_x="LMARGIN", new_y="NEXT")
    doc.set_text_color(*INK)
    doc.set_font("Body", size=13)
    doc.cell(0, 9, f"Period: {r.start.day} {r.start:%B %Y} to {r.end.day} {r.end:%B %Y}", new_x="LMARGIN",
             new_y="NEXT")
    doc.ln(8)
    doc.para(f"Made on {now.day} {now:%B %Y at %H:%M}. Counts and rates only: no client is named in this report. "
             "Each rate comes with its 95% range; small numbers give wide ranges.", muted=True)


def _survival(doc: ReportDoc, s):
    x0, w, h = doc.l_margin + 12, doc.epw - 40, 62
    y0 = doc.get_y() + 4
    span = s.sessions[-1] or 1

    def X(n):
        return x0 + n / span * w

    def Y(v):
        return y0 + (1 - v) * h

    doc.set_font("Body", size=8)
    doc.set_text_color(*MUTED)
    doc.set_draw_color(210, 210, 210)
    doc.set_line_width(0.2)
    for v in (0, 0.25, 0.5, 0.75, 1):
        doc.line(x0, Y(v), x0 + w, Y(v))
        doc.text(x0 - 10, Y(v) + 1, f"{v:.0%}")
    for n in s.sessions:
        if n == 1 or n % 5 == 0:
            doc.text(X(n) - 1, y0 + h + 5, str(n))
    doc.text(x0 + w - 24, y0 + h + 10, "attended sessions")
    doc.set_fill_color(205, 220, 235)
    band = [(X(n), Y(v)) for n, v in zip(s.sessions, s.upper)] + \
           [(X(n), Y(v)) for n, v in reversed(list(zip(s.sessions, s.lower)))]
    doc.polygon(band, style="F")
    doc.set_draw_color(*ACCENT)
    doc.set_line_width(0.7)
    for i in range(1, len(s.sessions)):
        a, b = s.sessions[i - 1], s.sessions[i]
        doc.line(X(a), Y(s.survival[i - 1]), X(b), Y(s.survival[i - 1]))
        doc.line(X(b), Y(s.survival[i - 1]), X(b), Y(s.survival[i]))
    doc.set_draw_color(*ALERT)
    doc.set_line_width(0.4)
    doc.set_dash_pattern(dash=2, gap=1.5)
    doc.line(x0, Y(1 - BENCHMARK), x0 + w, Y(1 - BENCHMARK))
    doc.set_dash_pattern()
    doc.set_text_color(*ALERT)
    doc.text(x0 + w + 2, Y(1 - BENCHMARK) + 1, f"{1 - BENCHMARK:.1%} stay")
    doc.text(x0 + w + 2, Y(1 - BENCHMARK) + 5, "(benchmark)")
    doc.set_text_color(*INK)
    doc.set_y(y0 + h + 14)


def render_report(practice_name: str, r: Report, now: datetime) -> bytes:
    period = f"{r.start.day} {r.start:%b %Y} to {r.end.day} {r.end:%b %Y}"
    doc = ReportDoc(practice_name, period)
    _cover(doc, r, now)
    doc.add_page()

    doc.h2("Endings without goodbye")
    if r.dropout.total:
        doc.para(f"{pct(r.dropout.rate)} of the {r.dropout.total} episodes that ended in the period ended without "
                 f"goodbye ({r.dropout.events}); 95% range {interval(r.dropout).split(' ', 1)[1]}. That is "
                 f"{r.dropout.versus_benchmark}: {BENCHMARK_SOURCE}.")
        doc.grid(["Clinician", "Ended", "Without goodbye", "Rate (95% range)", "Against 19.7%"],
                 [[x.label, x.total, x.events, interval(x), x.versus_benchmark] for x in r.dropout_by_clinician],
                 widths=(38, 14, 22, 32, 40))
    else:
        doc.para("No episodes ended in this period.")

    doc.h2("Missed sessions")
    if r.noshow.total:
        doc.para(f"Of {r.noshow.total} sessions that were due: {pct(r.noshow.rate)} no-shows ({r.noshow.events}), "
                 f"range {interval(r.noshow).split(' ', 1)[1]}; {pct(r.late_cancel.rate)} late cancellations "
                 f"({r.late_cancel.events}).")
        doc.grid(["Clinician", "Sessions due", "No-shows", "Rate (95% range)"],
                 [[x.label, x.total, x.events, interval(x)] for x in r.noshow_by_clinician], widths=(50, 30, 30, 40))
    else:
        doc.para("No sessions were due in this period.")

    doc.h2("When in treatment clients leave")
    if r.survival:
        s = r.survival
        doc.para(f"The share of {s.episodes} episodes still engaged after each attended session (the line), with "
                 "its 95% range (shaded), beside the share who stay in published studies (dashed)."
                 + (f" Half had left by session {s.median:g}." if s.median else ""))
        if doc.get_y() > doc.h - 100:
            doc.add_page()
        _survival(doc, s)
    else:
        doc.para("Too few episodes started in this period to draw the curve.")

    doc.h2("Outreach and what brought people back")
    if r.sequences:
        doc.para(f"{r.sequences} outreach sequences started: {r.came_back} came back"
                 + (f" ({r.came_back_before_contact} before any contact)" if r.came_back_before_contact else "")
                 + f", {r.closed_door_open} closed with the door open, {r.still_running} still running.")
        doc.grid(["Contact", "By", "Reached the client", "Came back after it"],
                 [[step_name(f.key), CHANNEL_NAMES.get(f.channel, f.channel), f.handed_off,
                   f"{f.came_back_after}" + (f" ({f.rate:.0%})" if f.rate is not None else "")] for f in r.funnel],
                 widths=(45, 35, 35, 35))
    else:
        doc.para("No outreach started in this period.")
    return bytes(doc.output())
