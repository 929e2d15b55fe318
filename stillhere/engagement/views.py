"""The home page: Needs attention. A thin view over inbox.py."""

from itertools import groupby

from django.core.exceptions import PermissionDenied  # noqa: F401  (raised by override_state -> 403)
from django.shortcuts import render
from django.utils import timezone

from stillhere.accounts.decorators import member_required
from stillhere.audit.events import InboxViewed, record

from .inbox import needs_attention, recent_changes


@member_required
def inbox(request):
    m = request.membership
    if not m.sees_identifiable_clients:
        return render(request, "clients/consultant.html")
    now = timezone.now()
    items = needs_attention(m, now)
    record(InboxViewed(practice=m.practice, actor=request.user, count=len(items)))
    groups = [(key, list(rows)) for key, rows in groupby(items, key=lambda i: i.group_title)]
    return render(request, "engagement/inbox.html", {
        "groups": groups, "count": len(items), "changes": recent_changes(m, now), "now": now,
        "tz": m.practice.timezone,
    })


@member_required
def override(request, code, episode_id):
    """POST only: set the episode's state with a note; back to the client page."""
    from django.contrib import messages
    from django.core.exceptions import ValidationError
    from django.http import Http404, HttpResponseNotAllowed
    from django.shortcuts import redirect

    from stillhere.accounts.permissions import get_client_or_404, visible_episodes

    from .overrides import override_state

    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    client = get_client_or_404(request.membership, code)
    episode = visible_episodes(request.membership).filter(client=client, pk=episode_id).first()
    if episode is None:
        raise Http404("No such episode.")
    try:
        override_state(request.membership, episode, request.POST.get("state", ""), request.POST.get("note", ""))
        messages.success(request, "State updated. It holds until something new happens in their schedule.")
    except ValidationError as e:
        for msg in sum(e.message_dict.values(), []):
            messages.error(request, msg)
    return redirect("clients:detail", code=client.code)
