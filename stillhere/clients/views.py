"""Client list and client page: thin views over permissions and the timeline."""

from django.contrib import messages
from django.shortcuts import render
from django.utils import timezone

from stillhere.accounts.decorators import member_required
from stillhere.accounts.permissions import get_client_or_404, visible_clients, visible_episodes
from stillhere.audit.events import ClientListViewed, ClientsSearched, ClientViewed, TodayViewed, record
from stillhere.audit.events import batch as audit_batch

from stillhere.engagement.overrides import CHOOSABLE as OVERRIDE_CHOICES

from .listing import open_episodes_page, page_numbers
from .models import Appointment
from .search import LIMIT as SEARCH_LIMIT, find_clients
from .timeline import episode_timelines
from .today import todays_sessions

MAX_SEARCH = 100


@member_required
def client_list(request):
    """The open episodes the member may see, by client name, 50 a page."""
    m = request.membership
    if not m.sees_identifiable_clients:
        return render(request, "clients/consultant.html", status=200)
    listing = open_episodes_page(m, request.GET.get("page"), timezone.now())
    record(ClientListViewed(practice=m.practice, actor=request.user, count=len(listing.rows),
                            clients=listing.rows))
    return render(request, "clients/list.html", {
        "listing": listing, "rows": listing.rows, "pages": page_numbers(listing.page),
        "total_clients": visible_clients(m).count(),
    })


@member_required
def client_detail(request, code):
    m = request.membership
    client = get_client_or_404(m, code)
    # The page and its measures section each audit their access: one write.
    with audit_batch():
        record(ClientViewed(practice=m.practice, actor=request.user, client=client))
        episodes = visible_episodes(m).filter(client=client)
        return render(request, "clients/detail.html", {
            "client": client,
            "timelines": episode_timelines(episodes),
            "tz": m.practice.timezone,
            "override_choices": [(s.value, s.label) for s in OVERRIDE_CHOICES],
        })


@member_required
def search(request):
    """The search box posts here, so the words never reach a URL or the access log."""
    m = request.membership
    if not m.sees_identifiable_clients:
        return render(request, "clients/consultant.html", status=200)
    text = request.POST.get("q", "").strip() if request.method == "POST" else ""
    which = request.POST.get("which", "all")
    ended = {"current": False, "ended": True}.get(which)
    matches = None
    if request.method == "POST":
        matches = find_clients(m.practice, request.user, text, ended=ended) if text else []
        record(ClientsSearched(practice=m.practice, actor=request.user, count=len(matches), ended=ended is True,
                               clients=matches))
    return render(request, "clients/search.html", {"q": text, "which": which, "matches": matches,
                                                   "limit": SEARCH_LIMIT})


@member_required
def today(request):
    """A clinician's sessions today, each with the client's state, risk and any check-in due."""
    m = request.membership
    if not m.sees_identifiable_clients:
        return render(request, "clients/consultant.html", status=200)
    rows = todays_sessions(m)
    record(TodayViewed(practice=m.practice, actor=request.user, count=len(rows), clients=rows))
    return render(request, "clients/today.html", {"rows": rows, "tz": m.practice.timezone,
                                                  "day": timezone.localdate(timezone.now(), m.practice.tz)})


@member_required
def end_episode(request, code, episode_id):
    """Record how an episode ended (planned, by the client, referred on): a
    page of its own, so it reads the same on a phone as on a desk."""
    from django.core.exceptions import PermissionDenied
    from django.http import Http404
    from django.shortcuts import redirect

    from . import endings
    from .forms import EndingForm

    m = request.membership
    client = get_client_or_404(m, code)
    episode = visible_episodes(m).filter(client=client, pk=episode_id).select_related("clinician__user").first()
    if episode is None or not m.sees_identifiable_clients:
        raise Http404("No such episode.")
    if not endings.may_end(m, episode):
        raise PermissionDenied("Only the client's clinician or a clinical director can record an ending.")
    if episode.ended:
        messages.info(request, "This episode has already ended.")
        return redirect("clients:detail", code=client.code)
    today = timezone.localdate(timezone.now(), m.practice.tz)
    last = (episode.appointments.filter(status=Appointment.Status.ATTENDED, start__lte=timezone.now())
            .order_by("-start").values_list("start", flat=True).first())
    form = EndingForm(request.POST or None,
                      initial={"ended_on": last.astimezone(m.practice.tz).date() if last else today})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            endings.end_episode(m, episode, d["reason"], d["ended_on"], d["note"])
        except endings.EndingError as e:
            form.add_error(None, str(e))
        else:
            label = endings.CHOICES[d["reason"]][0]
            messages.success(request, f"Recorded: {label.lower()} on {d['ended_on']:%-d %b %Y}. "
                             "No outreach will go to them for this episode, and if they come back a new "
                             "episode starts, with this one at hand.")
            return redirect("clients:detail", code=client.code)
    record(ClientViewed(practice=m.practice, actor=request.user, client=client))
    return render(request, "clients/ending.html", {"form": form, "client": client, "episode": episode})
