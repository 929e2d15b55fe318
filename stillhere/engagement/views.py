"""The home page: Needs attention. A thin view over inbox.py."""

from itertools import groupby
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied  # noqa: F401  (raised by override_state -> 403)
from django.shortcuts import render
from django.utils import timezone

from stillhere.accounts.decorators import member_required
from stillhere.audit.events import InboxViewed, record

from .inbox import (GROUP_TITLES, KIND_OF, KIND_WORDS, KINDS, SAFETY, cards, filtered, needs_attention,
                    recent_changes)
from .rescan import last_checked


def inbox_filter(m, params) -> tuple[int | None, str]:
    """The clinician and kind asked for in the page's address (or a form's
    `back`), kept only if they are real: a director's or admin's colleague,
    a known kind. Nothing else is read from it."""
    kind = params.get("kind", "")
    kind = kind if kind in KINDS else ""
    clinician = None
    raw = params.get("clinician", "")
    if m.sees_whole_practice and raw.isdigit():
        clinician = int(raw) if m.practice.members.filter(pk=int(raw)).exists() else None
    return clinician, kind


def inbox_summary(m, items, clinician, kind) -> dict:
    """What the page counts: clients and reasons per heading, for the filter
    and for the counts an action updates (desk views)."""
    mine = filtered(items, clinician, "")
    shown = filtered(mine, None, kind)
    shown_cards = cards(shown)
    per_kind = {}
    for card in cards(mine):
        for g in {i.group for i in card.items}:
            per_kind[g] = per_kind.get(g, 0) + 1
    return {
        "cards": shown_cards, "count": len(shown_cards), "reasons": len(shown),
        "kinds": [(KIND_OF[g], KIND_WORDS[g], per_kind.get(g, 0)) for g in GROUP_TITLES],
        "group_counts": [(KIND_OF[g], sum(1 for c in shown_cards if c.group == g)) for g in GROUP_TITLES],
    }


# A heading shows its most urgent clients first and at most this many on the
# whole page (a director's practice can have thousands: nobody reads them
# all, and rendering them took seconds); "Show all" opens that heading alone,
# a page at a time. Safety checks are never cut: they must not wait unseen.
PER_HEADING = 25
PER_PAGE = 50


def heading_page(rows: list, group: int, kind: str, page: int) -> tuple[list, int, int]:
    """The cards a heading shows: (shown, page, pages)."""
    if group == SAFETY:
        return rows, 1, 1
    if not kind:
        return rows[:PER_HEADING], 1, 1
    pages = max(1, -(-len(rows) // PER_PAGE))
    page = min(max(page, 1), pages)
    return rows[(page - 1) * PER_PAGE:page * PER_PAGE], page, pages


def _page_number(params) -> int:
    raw = params.get("page", "")
    return int(raw) if raw.isdigit() and len(raw) < 6 else 1


@member_required
def inbox(request):
    m = request.membership
    if not m.sees_identifiable_clients:
        return render(request, "clients/consultant.html")
    now = timezone.now()
    items = needs_attention(m, now)
    clinician, kind = inbox_filter(m, request.GET)
    summary = inbox_summary(m, items, clinician, kind)
    changes = recent_changes(m, now) if not (clinician or kind) else []
    page = _page_number(request.GET)
    groups, shown_cards = [], []
    for title, rows in ((t, list(r)) for t, r in groupby(summary["cards"], key=lambda c: c.group_title)):
        shown, at, pages = heading_page(rows, rows[0].group, kind, page)
        shown_cards += shown
        key = KIND_OF[rows[0].group]
        first = (at - 1) * PER_PAGE + 1
        groups.append({"title": title, "key": key, "rows": shown, "total": len(rows), "first": first,
                       "last": first + len(shown) - 1, "pages": pages, "page": at,
                       "all": "?" + urlencode({k: v for k, v in (("clinician", clinician or ""), ("kind", key)) if v})})
    # Only the clients the page shows were seen.
    record(InboxViewed(practice=m.practice, actor=request.user, count=summary["count"],
                       clients=shown_cards + list(changes)))
    clinicians = []
    if m.sees_whole_practice:
        clinicians = list(m.practice.members.filter(role__in=["clinician", "director"]).select_related("user")
                          .order_by("user__first_name", "user__last_name", "id"))
    query = urlencode({k: v for k, v in (("clinician", clinician or ""), ("kind", kind)) if v})
    return render(request, "engagement/inbox.html", summary | {
        "groups": groups, "changes": changes, "now": now,
        "tz": m.practice.timezone, "clinicians": clinicians, "clinician": clinician, "kind": kind,
        "back": "/?" + query if query else "/", "filter_key": (clinician, kind, page), "per_page": PER_PAGE,
        "last_checked": last_checked(m.practice, now),
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
