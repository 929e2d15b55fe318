"""Pages for typing in clients and sessions by hand: thin over entry.py."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from stillhere.accounts.decorators import member_required
from stillhere.accounts.permissions import get_client_or_404, visible_episodes

from stillhere.audit.events import ClientViewed, record

from . import entry
from .forms import BookForm, BreakForm, ClientForm, MoveForm, OutcomeForm
from .models import Appointment


def _shown(request, client):
    """A page of the client's own (their details, a session, a break) shows client data."""
    record(ClientViewed(practice=client.practice, actor=request.user, client=client))


def _may_enter(request):
    if not request.membership.sees_identifiable_clients:
        raise Http404("No such page.")


@member_required
def client_new(request):
    _may_enter(request)
    m = request.membership
    form = ClientForm(request.POST or None, membership=m,
                      initial={"clinician": m if m.role == m.Role.CLINICIAN else None})
    if request.method == "POST" and form.is_valid():
        d = dict(form.cleaned_data)
        clinician = d.pop("clinician")
        try:
            client = entry.save_client(m, d, clinician=clinician)
        except entry.EntryError as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, f"{client.display_name} added. Book their first session below.")
            return redirect("clients:book", code=client.code)
    return render(request, "clients/form.html", {"form": form, "title": "Add a client"})


@member_required
def client_edit(request, code):
    _may_enter(request)
    m = request.membership
    client = get_client_or_404(m, code)
    names = [k for k in ClientForm.base_fields if k not in ("clinician", "external_id")]
    form = ClientForm(request.POST or None, membership=m, editing=True,
                      initial={k: getattr(client, k) for k in names})
    if request.method == "POST" and form.is_valid():
        try:
            entry.save_client(m, dict(form.cleaned_data), client=client)
        except entry.EntryError as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, "Saved.")
            return redirect("clients:detail", code=client.code)
    _shown(request, client)
    return render(request, "clients/form.html", {"form": form, "title": f"Change {client.display_name}'s details",
                                                 "client": client})


@member_required
def book(request, code):
    _may_enter(request)
    m = request.membership
    client = get_client_or_404(m, code)
    form = BookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        start = form.start(m.practice.tz)
        try:
            entry.book(m, client, start, duration_min=form.cleaned_data["duration_min"])
        except entry.EntryError as e:
            form.add_error(None, str(e))
        else:
            local = start.astimezone(m.practice.tz)
            messages.success(request, f"Booked {local:%a %-d %b %Y at %H:%M}.")
            return redirect("clients:book", code=client.code)
    upcoming = (Appointment.objects.filter(episode__in=visible_episodes(m).filter(client=client),
                                           start__gte=timezone.now(), status=Appointment.Status.SCHEDULED)
                .order_by("start"))
    _shown(request, client)
    return render(request, "clients/book.html", {"form": form, "client": client, "upcoming": upcoming,
                                                 "tz": m.practice.timezone})


def _appointment_or_404(m, code, appt_id):
    client = get_client_or_404(m, code)
    try:
        appt = Appointment.objects.select_related("episode__client", "episode__clinician__user").get(
            pk=appt_id, episode__in=visible_episodes(m).filter(client=client))
    except (Appointment.DoesNotExist, ValueError):
        raise Http404("No such session.")
    return client, appt


@member_required
def session(request, code, appt_id):
    """One session: record what happened, or move it."""
    _may_enter(request)
    m = request.membership
    client, appt = _appointment_or_404(m, code, appt_id)
    action = request.POST.get("action")
    outcome = OutcomeForm(request.POST if action == "outcome" else None)
    move = MoveForm(request.POST if action == "move" else None)
    if action == "outcome" and outcome.is_valid():
        try:
            entry.record_outcome(m, appt, outcome.cleaned_data["outcome"],
                                 minutes_late=outcome.cleaned_data.get("minutes_late") or 0)
        except entry.EntryError as e:
            outcome.add_error(None, str(e))
        else:
            messages.success(request, f"Recorded: {entry.OUTCOMES[outcome.cleaned_data['outcome']].lower()}.")
            return redirect("clients:detail", code=client.code)
    if action == "move" and move.is_valid():
        try:
            entry.reschedule(m, appt, move.start(m.practice.tz))
        except entry.EntryError as e:
            move.add_error(None, str(e))
        else:
            messages.success(request, "Session moved.")
            return redirect("clients:detail", code=client.code)
    _shown(request, client)
    return render(request, "clients/session.html", {"client": client, "appt": appt, "outcome": outcome,
                                                    "move": move, "tz": m.practice.timezone,
                                                    "future": appt.start > timezone.now()})


@member_required
def planned_break(request, code):
    _may_enter(request)
    m = request.membership
    client = get_client_or_404(m, code)
    form = BreakForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            entry.record_break(m, client, d["starts"], d["ends"], d["reason"])
        except entry.EntryError as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, f"Break recorded, {d['starts']:%-d %b} to {d['ends']:%-d %b %Y}. "
                             "No “gone quiet” alert during it.")
            return redirect("clients:detail", code=client.code)
    _shown(request, client)
    return render(request, "clients/form.html", {"form": form, "client": client,
                                                 "title": f"A planned break for {client.display_name}",
                                                 "explain": "A pause you and the client agreed on (a holiday, "
                                                            "a hospital stay). stillhere does not treat the "
                                                            "silence as going quiet while it lasts."})
