"""`{% outreach_timeline episode %}`: an episode's outreach steps, replies and
response-page answers, for the client page."""

from django import template
from django.utils import timezone

from ..listing import effective_status
from ..models import OutreachStep, Reply, Response

register = template.Library()


@register.inclusion_tag("outreach/timeline.html")
def outreach_timeline(episode):
    now = timezone.now()
    items = []
    for s in OutreachStep.objects.filter(episode=episode).exclude(status=OutreachStep.Status.SCHEDULED):
        items.append({"kind": "step", "when": s.finished or s.attempted or s.due, "obj": s,
                      "status": effective_status(s, now)})
    for r in Reply.objects.filter(episode=episode):
        items.append({"kind": "reply", "when": r.received, "obj": r})
    for r in Response.objects.filter(episode=episode):
        items.append({"kind": "response", "when": r.created, "obj": r})
    items.sort(key=lambda it: it["when"])
    return {"items": items, "episode": episode}


@register.inclusion_tag("outreach/reminders_tomorrow.html", takes_context=True)
def reminders_tomorrow(context):
    """Tomorrow's appointments likely to be missed, among the member's own
    clients, each with its no-show risk in words and where its reminder stands."""
    from stillhere.accounts.permissions import visible_episodes
    from stillhere.clients.models import Appointment

    from ..reminders import due_reminders, reminder_status

    request = context["request"]
    m = request.membership
    now = context.get("now") or timezone.now()
    mine = Appointment.objects.filter(practice=m.practice, episode__in=visible_episodes(m))
    rows = []
    for appt, risk in due_reminders(m.practice, now, appointments=mine):
        words, step = reminder_status(appt)
        rows.append({"appt": appt, "client": appt.episode.client, "risk": risk, "status": words, "step": step})
    return {"rows": rows, "tz": m.practice.tz}
