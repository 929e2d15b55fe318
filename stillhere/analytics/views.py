"""The practice view for clinical directors (and admins, who see the whole
practice anyway). Clinicians and consultants get a 404: it is not theirs."""

from datetime import date, timedelta

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from stillhere.accounts.decorators import member_required
from stillhere.audit.events import PracticeReportExported, PracticeReportViewed, record
from stillhere.lib.csvsafe import SafeWriter
from stillhere.outreach.words import step_title

from .cache import report_cache
from .chart import calibration_chart, dropout_bars, survival_chart
from .pdf import render_report
from .report import BENCHMARK, BENCHMARK_SOURCE, practice_report

DEFAULT_DAYS = 365


class BadPeriod(ValueError):
    pass


def period(request, today: date) -> tuple[date, date]:
    def day(name, default):
        raw = request.GET.get(name, "").strip()
        if not raw:
            return default
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise BadPeriod(f"“{name}” must be a date like 2026-01-31, not “{raw[:20]}”.")

    end = day("to", today)
    start = day("from", end - timedelta(days=DEFAULT_DAYS))
    if start > end:
        raise BadPeriod("“from” must be on or before “to”.")
    return start, end


def _report(practice, start, end, now):
    """The period's figures, computed once while the practice's data is unchanged (cache.py)."""
    return report_cache.get(practice, start, end, lambda: practice_report(practice, start, end, now))


def _director_or_404(request):
    m = request.membership
    if not m.sees_whole_practice:
        raise Http404()
    return m


@member_required
def practice(request):
    m = _director_or_404(request)
    now = timezone.now()
    try:
        start, end = period(request, now.astimezone(m.practice.tz).date())
    except BadPeriod as e:
        return render(request, "analytics/practice.html", {"error": str(e)}, status=400)
    report = _report(m.practice, start, end, now)
    record(PracticeReportViewed(practice=m.practice, actor=request.user, period=f"{start}/{end}"))
    return render(request, "analytics/practice.html", {
        "r": report, "benchmark": BENCHMARK, "benchmark_source": BENCHMARK_SOURCE,
        "km": survival_chart(report.survival) if report.survival else None,
        "bars": dropout_bars(report.dropout_by_clinician) if report.dropout_by_clinician else None,
        "query": request.GET.urlencode(),
        "km_rows": [(n, f"{v:.0%}", k) for n, v, k in zip(report.survival.sessions, report.survival.survival,
                                                          report.survival.at_risk)] if report.survival else [],
    })


def _exported(request, fmt):
    """The report for a download: (member, start, end, now, report), audited,
    or a plain-text 400 saying what is wrong with the period."""
    m = _director_or_404(request)
    now = timezone.now()
    try:
        start, end = period(request, now.astimezone(m.practice.tz).date())
    except BadPeriod as e:
        return HttpResponse(str(e), status=400, content_type="text/plain; charset=utf-8")
    record(PracticeReportExported(practice=m.practice, actor=request.user, period=f"{start}/{end}", format=fmt))
    return m, start, end, now, _report(m.practice, start, end, now)


@member_required
def report_pdf(request):
    """The practice view as a PDF, period on the cover."""
    got = _exported(request, "pdf")
    if isinstance(got, HttpResponse):
        return got
    m, start, end, now, r = got
    resp = HttpResponse(render_report(m.practice.name, r, now.astimezone(m.practice.tz)),
                        content_type="application/pdf")
    resp["Content-Disposition"] = f'inline; filename="practice-report-{start}-{end}.pdf"'
    return resp


@member_required
def export(request):
    got = _exported(request, "csv")
    if isinstance(got, HttpResponse):
        return got
    m, start, end, now, r = got
    resp = HttpResponse(content_type="text/csv; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="practice-{start}-{end}.csv"'
    w = SafeWriter(resp)
    w.writerow(["section", "group", "label", "events", "total", "rate", "ci_low", "ci_high"])

    def rate(section, group, row):
        ci = row.ci or ("", "")
        w.writerow([section, group, row.label, row.events, row.total,
                    f"{row.rate:.4f}" if row.rate is not None else "", *(f"{v:.4f}" if v != "" else "" for v in ci)])

    rate("dropout", "practice", r.dropout)
    w.writerow(["dropout", "benchmark", BENCHMARK_SOURCE, "", "", f"{BENCHMARK:.4f}", "0.1870", "0.2070"])
    for row in r.dropout_by_clinician:
        rate("dropout", "clinician", row)
    rate("no_show", "practice", r.noshow)
    rate("late_cancel", "practice", r.late_cancel)
    for row in r.noshow_by_clinician:
        rate("no_show", "clinician", row)
    if r.survival:
        s = r.survival
        for n, v, lo, hi, k in zip(s.sessions, s.survival, s.lower, s.upper, s.at_risk):
            w.writerow(["survival", "session", n, "", k, f"{v:.4f}", f"{lo:.4f}", f"{hi:.4f}"])
    w.writerow(["outreach", "sequences", "started", "", r.sequences, "", "", ""])
    w.writerow(["outreach", "sequences", "came back", r.came_back, r.sequences, "", "", ""])
    w.writerow(["outreach", "sequences", "came back before any contact", r.came_back_before_contact,
                r.sequences, "", "", ""])
    w.writerow(["outreach", "sequences", "closed, door open", r.closed_door_open, r.sequences, "", "", ""])
    for row in r.funnel:
        w.writerow(["outreach", "step", step_title(row.key, row.channel), row.came_back_after, row.handed_off,
                    f"{row.rate:.4f}" if row.rate is not None else "", "", ""])
    return resp


@member_required
def model_card(request):
    """The dropout model's card for directors: counts, rates and intervals
    over held-out weeks, no client named, so no audit row."""
    from stillhere.risk.fitted.card import build

    m = _director_or_404(request)
    card = build(m.practice)
    chart = None
    if card.measures:
        chart = calibration_chart([(card.measures[0].label, "fitted", card.measures[0].calibration),
                                   (card.measures[1].label, "standard", card.measures[1].calibration)])
    return render(request, "analytics/model_card.html", {"card": card, "chart": chart})
