"""Measures on the client page: thin views over record_result and the panel.

Every view reaches the client through `get_client_or_404`, so a clinician
gets a 404 for anyone else's client and a consultant for every client. With
htmx the views answer with the measures section only; without JavaScript
they redirect back to the client page (or show the form with its errors).
"""

from datetime import date

from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from stillhere.accounts.decorators import member_required
from stillhere.accounts.permissions import get_client_or_404, visible_episodes
from stillhere.audit.events import CheckinHeld, ClientViewed, CheckinIntervalSet, CheckinsDueViewed, MeasuresViewed, record
from stillhere.clients.models import SessionMarker

from .checkins import due_checkins
from .custom import config_for
from .models import CheckinInterval
from .panel import EntryForm, panel_context
from .record import local_today, record_result, session_on
from .scoring import ScoringError


def _htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _back(client):
    return HttpResponseRedirect(reverse("clients:detail", args=[client.code]) + "#measures")


def _panel(request, client, status=200, **kw):
    ctx = panel_context(request.membership, client, **kw)
    record(MeasuresViewed(practice=client.practice, actor=request.user, client=client, count=ctx["result_count"]))
    return render(request, "measures/panel.html", ctx, status=status)


@member_required
@require_GET
def panel(request, code):
    client = get_client_or_404(request.membership, code)
    return _panel(request, client)


@member_required
@require_GET
def entry_fields(request, code):
    """The item inputs for the instrument just chosen in the form."""
    client = get_client_or_404(request.membership, code)
    reg = config_for(client.practice).registry
    inst = reg.get(request.GET.get("instrument", "")) or reg.get("SRS")
    form = EntryForm(instrument=inst, taken_on=local_today(client.practice))
    record(ClientViewed(practice=client.practice, actor=request.user, client=client))
    if not _htmx(request):  # without JavaScript: the whole form on its own page
        return render(request, "measures/entry_page.html", {"client": client, "form": form, "today": form.taken_on,
                                                            "instruments": list(reg)})
    return render(request, "measures/entry_fields.html", {"form": form, "client": client})


def _parse_day(text: str, today: date) -> tuple[date | None, str]:
    try:
        day = date.fromisoformat(text.strip()) if text.strip() else today
    except ValueError:
        return None, "Give the date as YYYY-MM-DD."
    if day > today:
        return None, "The date cannot be in the future."
    return day, ""


@member_required
@require_POST
def entry(request, code):
    client = get_client_or_404(request.membership, code)
    practice = client.practice
    reg = config_for(practice).registry
    today = local_today(practice)
    inst = reg.get(request.POST.get("instrument", ""))
    if inst is None:
        inst = reg.get("SRS")
        form = EntryForm(instrument=inst, taken_on=today, errors={"instrument": "Choose a questionnaire."})
        return _entry_failed(request, client, form)
    values = {k: request.POST.get(k, "").strip() for k in [f"item{i.number}" for i in inst.items] + ["total"]}
    day, day_error = _parse_day(request.POST.get("taken_on", ""), today)
    form = EntryForm(instrument=inst, taken_on=day or today, values=values)
    if day_error:
        form.errors["taken_on"] = day_error
        return _entry_failed(request, client, form)
    answers = [values[f"item{i.number}"] for i in inst.items]
    items = answers if any(answers) else None
    try:
        row = record_result(client, inst.code, items=items, total=values["total"] or None, taken_on=day,
                            actor=request.user, registry=reg, source="manual")
    except ScoringError as e:
        key = f"item{e.item}" if e.item else e.field
        form.errors[key] = str(e)
        return _entry_failed(request, client, form)
    s = row.score
    message = f"{s.instrument} {s.total:g} recorded for {day.day} {day:%b %Y} ({s.band})."
    if s.safety:
        message += " A safety item was answered above 0: please look at it today."
    if not _htmx(request):
        return _back(client)
    return _panel(request, client, message=message)


def _entry_failed(request, client, form):
    # htmx swaps 2xx responses only; without htmx a 400 page with the form is right.
    if _htmx(request):
        return _panel(request, client, form=form)
    return render(request, "measures/entry_page.html", {
        "client": client, "form": form, "today": local_today(client.practice),
        "instruments": list(config_for(client.practice).registry)}, status=400)


@member_required
@require_POST
def checkin_interval(request, code):
    client = get_client_or_404(request.membership, code)
    every_default = config_for(client.practice).checkin_every
    raw = request.POST.get("every_sessions", "").strip()
    if request.POST.get("clear") or raw == "":
        CheckinInterval.objects.filter(client=client).delete()
        record(CheckinIntervalSet(practice=client.practice, actor=request.user, client=client, every_sessions=None))
    else:
        if not raw.isdigit() or not 1 <= int(raw) < every_default:
            error = f"Choose a whole number of sessions from 1 to {every_default - 1} (shorter than the " \
                    f"practice's {every_default})."
            return _panel(request, client, interval_error=error) if _htmx(request) else _back(client)
        CheckinInterval.objects.update_or_create(client=client, defaults={"every_sessions": int(raw),
                                                                          "set_by": request.membership})
        record(CheckinIntervalSet(practice=client.practice, actor=request.user, client=client,
                                  every_sessions=int(raw)))
    return _panel(request, client) if _htmx(request) else _back(client)


@member_required
@require_POST
def checkin_held(request, code):
    """Record that today's session held a progress conversation."""
    m = request.membership
    client = get_client_or_404(m, code)
    session = session_on(client, local_today(client.practice), episodes=visible_episodes(m))
    if session is None:
        return _panel(request, client, checkin_error="There is no session today to record the check-in on.") \
            if _htmx(request) else _back(client)
    marker, created = SessionMarker.objects.get_or_create(appointment=session, kind=SessionMarker.Kind.CHECKIN,
                                                          defaults={"created_by": m})
    if created:
        record(CheckinHeld(practice=client.practice, actor=request.user, client=client, marker=marker))
    message = "Check-in conversation recorded for today's session."
    return _panel(request, client, message=message) if _htmx(request) else _back(client)


@member_required
@require_GET
def checkins_due(request):
    m = request.membership
    rows = due_checkins(m, timezone.now()) if m.sees_identifiable_clients else []
    record(CheckinsDueViewed(practice=m.practice, actor=request.user, count=len(rows), clients=rows))
    return render(request, "measures/checkins_due.html", {
        "rows": [(ep, st, st.reason(m.practice.tz)) for ep, st in rows], "tz": m.practice.timezone,
    })
