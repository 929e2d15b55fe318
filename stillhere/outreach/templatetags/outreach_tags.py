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
