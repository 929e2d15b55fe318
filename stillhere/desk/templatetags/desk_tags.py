"""`{% inbox_item item %}` and `{% letters_waiting %}` for the Needs attention page.

The inbox (engagement/inbox.py) decides what needs attention; these tags
give each item its one action as a small form that works with htmx (no
reload) and without it (a normal post back to the page).
"""

from django import template
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.utils import timezone

from stillhere.outreach.actions import may_decide
from stillhere.outreach.models import OutreachStep, PrintBatch

from ..reviews import may_review

register = template.Library()
S = OutreachStep.Status


@register.simple_tag(takes_context=True)
def inbox_item(context, item):
    """One item's line. The inbox keeps its items for a minute while nothing
    changes (engagement/inbox.py); the rendered line is kept on the item for
    the same time, per CSRF cookie, since its forms carry a token for it."""
    from django.middleware.csrf import get_token

    request = context["request"]
    if not request.META.get("CSRF_COOKIE"):
        get_token(request)
    key = ("html", request.META["CSRF_COOKIE"], timezone.get_current_timezone_name(), context.get("back", "/"))
    html = item.extra.get(key)
    if html is None:
        ctx = _item_context(context, item) | {"csrf_token": get_token(request)}
        html = item.extra[key] = render_to_string("desk/inbox_item.html", ctx)
    return html


def _item_context(context, item) -> dict:
    from stillhere.engagement.inbox import ALERT, CHECKIN, RISK

    request = context["request"]
    m = request.membership
    step = item.step
    slot = f"item-{item.group}-{item.episode.pk}" + (f"-{step.pk}" if step else "")
    kind = ""
    if step is not None and may_decide(m, step):
        kind = {S.AWAITING_APPROVAL: "approve", S.TO_CALL: "call", S.FAILED: "retry"}.get(step.status, "")
    elif item.group == RISK and may_review(m, item.episode):
        kind = "review"
    elif item.group == ALERT and may_review(m, item.episode):
        kind = "raised"
    elif item.group == CHECKIN and item.due and item.episode.clinician_id == m.pk:
        today = timezone.now().astimezone(m.practice.tz).date()
        if item.due.astimezone(m.practice.tz).date() == today:
            kind = "checkin"
    from stillhere.engagement.inbox import SAFETY
    from stillhere.outreach.public import call_details
    from stillhere.outreach.safety import emergency_contact

    calling = kind == "call" or item.group == SAFETY or (step is not None and step.channel == "call")
    return {"item": item, "step": step, "slot": slot, "kind": kind, "request": request, "back": context.get("back", "/"),
            "outcomes": OutreachStep.Outcome.choices,
            "problems": [f for f in (step.findings if step else []) if f.get("severity") == "problem"],
            "call": call_details(item.client) if calling else None,
            "emergency": emergency_contact(item.client) if item.group == SAFETY else None}


@register.inclusion_tag("desk/letters_waiting.html", takes_context=True)
def letters_waiting(context):
    """Letters in the open print batch: the member's own, and whether they
    may mark the batch posted (a director or admin, or a clinician when every
    letter in it is theirs, as in a solo practice)."""
    from stillhere.engagement.inbox import inbox_cache

    request = context["request"]
    now = context.get("now") or timezone.now()  # the view's own now: one fingerprint per page
    found = inbox_cache.get(request.membership, now, "letters", lambda: _letters(request.membership))
    return dict(found[0], request=request, csrf_token=context.get("csrf_token"))


def _letters(m) -> list[dict]:
    batch = (PrintBatch.objects.filter(practice_id=m.practice_id, status=PrintBatch.Status.OPEN)
             .annotate(n=Count("letters"), mine=Count("letters", filter=Q(letters__step__episode__clinician=m)))
             .first())
    if batch is None or not batch.n or not m.sees_identifiable_clients:
        return [{"batch": None}]
    if not m.sees_whole_practice and not batch.mine:
        return [{"batch": None}]
    letters = (OutreachStep.objects.filter(letter__batch=batch, status=S.TO_PRINT)
               .select_related("client").order_by("letter__id"))
    if not m.sees_whole_practice:
        letters = letters.filter(episode__clinician=m)
    may_post = m.sees_whole_practice or batch.mine == batch.n
    return [{"batch": batch, "letters": list(letters[:50]), "may_post": may_post}]


@register.inclusion_tag("desk/risk_reviews.html")
def risk_reviews(episode):
    """The clinician's notes when they reviewed a risk from the inbox, for the
    client page's engagement history."""
    from ..models import RiskReview

    return {"reviews": list(RiskReview.objects.filter(episode=episode).select_related("by__user")
                            .order_by("-created")[:10])}


@register.inclusion_tag("desk/log_reply.html", takes_context=True)
def log_reply_form(context, client):
    from stillhere.outreach.models import Reply

    return {"client": client, "sources": Reply.Source.choices, "csrf_token": context.get("csrf_token")}


_PAGES: dict = {}


class InboxBlockNode(template.Node):
    """The rendered body of the inbox, kept while the items, changes and
    letters it shows are the same computation (engagement's inbox cache),
    per CSRF cookie (its forms carry the token). Rendering 50 lines is most
    of what is left of a page view once the inbox itself is cached."""

    def __init__(self, nodelist):
        self.nodelist = nodelist

    def render(self, context):
        from django.db import connection
        from django.middleware.csrf import get_token

        from stillhere.engagement.inbox import inbox_cache

        request = context["request"]
        m = request.membership
        stamps = tuple(inbox_cache.stamp(m, part) for part in ("items", "changes", "letters"))
        if connection.in_atomic_block or None in stamps:
            return self.nodelist.render(context)
        if not request.META.get("CSRF_COOKIE"):
            get_token(request)
        key = (m.pk, m.role, request.META["CSRF_COOKIE"], timezone.get_current_timezone_name(),
               context.get("filter_key"))
        hit = _PAGES.get(key)
        if hit and hit[0] == stamps:
            return hit[1]
        html = self.nodelist.render(context)
        if len(_PAGES) > 5000:
            _PAGES.clear()
        _PAGES[key] = (stamps, html)
        return html


@register.tag
def inbox_block(parser, token):
    nodelist = parser.parse(("endinbox_block",))
    parser.delete_first_token()
    return InboxBlockNode(nodelist)
