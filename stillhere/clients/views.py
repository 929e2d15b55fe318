"""Client list and client page: thin views over permissions and the timeline."""

from django.contrib import messages
from django.db.models import Count, Max, Min, Q
from django.shortcuts import render
from django.utils import timezone

from stillhere.accounts.decorators import member_required
from stillhere.accounts.permissions import get_client_or_404, visible_clients, visible_episodes
from stillhere.audit.events import ClientListViewed, ClientViewed, record

from stillhere.engagement.overrides import CHOOSABLE as OVERRIDE_CHOICES

from .models import Appointment
from .timeline import episode_timelines

LIST_LIMIT = 500


MAX_SEARCH = 100


@member_required
def client_list(request):
    m = request.membership
    if not m.sees_identifiable_clients:
        return render(request, "clients/consultant.html", status=200)
    now = timezone.now()
    episodes = (
        visible_episodes(m)
        .filter(ended__isnull=True)
        .select_related("client", "clinician__user")
        .annotate(
            last_seen=Max("appointments__start", filter=Q(appointments__status="attended")),
            next_booked=Min("appointments__start", filter=Q(appointments__status="scheduled",
                                                              appointments__start__gte=now)),
            missed=Count("appointments", filter=Q(appointments__status__in=Appointment.MISSED)),
        )
        .order_by("client__last_name", "client__first_name")
    )
    q = request.GET.get("q", "").strip()
    if len(q) > MAX_SEARCH:
        # No name is longer than its column; SQLite refuses very long patterns.
        messages.error(request, f"A search can be at most {MAX_SEARCH} characters (this one has {len(q):,}).")
        q = ""
    if q:
        episodes = episodes.filter(Q(client__first_name__icontains=q) | Q(client__last_name__icontains=q)
                                   | Q(client__preferred_name__icontains=q))
    rows = list(episodes[:LIST_LIMIT])
    record(ClientListViewed(practice=m.practice, actor=request.user, count=len(rows)))
    return render(request, "clients/list.html", {
        "rows": rows, "q": q, "truncated": len(rows) == LIST_LIMIT,
        "total_clients": visible_clients(m).count(),
    })


@member_required
def client_detail(request, code):
    m = request.membership
    client = get_client_or_404(m, code)
    record(ClientViewed(practice=m.practice, actor=request.user, client=client))
    episodes = visible_episodes(m).filter(client=client)
    return render(request, "clients/detail.html", {
        "client": client,
        "timelines": episode_timelines(episodes),
        "tz": m.practice.timezone,
        "override_choices": [(s.value, s.label) for s in OVERRIDE_CHOICES],
    })
