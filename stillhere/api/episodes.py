"""/episodes: one episode and its history, ending it, and its engagement
(state, dropout risk with reasons, no-show risk of upcoming sessions);
/needs-attention: the member's inbox as data."""

from django.http import Http404
from django.utils import timezone
from ninja import Router
from ninja.responses import Status

from stillhere.accounts.permissions import visible_episodes
from stillhere.audit.events import EngagementViewed, EpisodeViewed, InboxViewed, record
from stillhere.clients.models import Appointment
from stillhere.engagement.inbox import GROUP_TITLES, needs_attention
from stillhere.engagement.models import StateChange
from stillhere.risk.models import NoShowRisk

from . import out
from .errors import COMMON
from .idempotency import idempotent
from .schemas import AttentionItem, EngagementOut, EpisodeEnd, EpisodeOut
from .services import end_episode

router = Router(tags=["episodes and engagement"])


def get_episode_or_404(membership, episode_id: int):
    e = visible_episodes(membership).select_related("client", "clinician__user").filter(pk=episode_id).first()
    if e is None:
        raise Http404("No such episode.")
    return e


def _episode(e) -> dict:
    changes = StateChange.objects.filter(episode=e).order_by("at", "id")
    return {**out.episode_brief(e), "client": e.client.code, "previous": e.previous_id,
            "state_changes": [{"old_state": c.old_state, "new_state": c.new_state, "reason": c.reason,
                               "detail": c.detail, "at": c.at} for c in changes]}


@router.get("/episodes/{episode_id}", response={200: EpisodeOut, **COMMON}, summary="One episode and its state history")
def get_episode(request, episode_id: int):
    m = request.membership
    e = get_episode_or_404(m, episode_id)
    record(EpisodeViewed(practice=m.practice, actor=request.user, client=e.client, episode=e))
    return _episode(e)


@router.post("/episodes/{episode_id}/end", response={200: EpisodeOut, **COMMON}, summary="End an episode with a reason")
@idempotent
def end(request, episode_id: int, payload: EpisodeEnd):
    m = request.membership
    e = end_episode(m, get_episode_or_404(m, episode_id), payload.reason, payload.ended_on)
    return Status(200, EpisodeOut(**_episode(e)))


@router.get("/episodes/{episode_id}/engagement", response={200: EngagementOut, **COMMON},
            summary="State, dropout risk and no-show risks")
def engagement(request, episode_id: int):
    m = request.membership
    e = get_episode_or_404(m, episode_id)
    last = StateChange.objects.filter(episode=e).order_by("-at", "-id").first()
    risk = getattr(e, "current_risk", None)
    now = timezone.now()
    upcoming = list(Appointment.objects.filter(episode=e, start__gte=now, status=Appointment.Status.SCHEDULED)
                    .order_by("start")[:20])
    latest = {}
    for r in NoShowRisk.objects.filter(appointment__in=upcoming).order_by("appointment_id", "-as_of", "-id"):
        latest.setdefault(r.appointment_id, r)
    record(EngagementViewed(practice=m.practice, actor=request.user, client=e.client, episode=e))
    return {
        "episode": e.pk, "client": e.client.code, "state": e.state, "state_label": e.get_state_display(),
        "state_since": e.state_since, "reason": (last.detail if last and last.detail else e.get_state_display()),
        "risk": {"probability": round(risk.risk, 4), "band": risk.band, "reasons": risk.reasons,
                 "as_of": risk.as_of} if risk else None,
        "upcoming": [{"appointment": a.pk, "start": a.start, "probability": round(latest[a.pk].probability, 4),
                      "reasons": latest[a.pk].reasons} for a in upcoming if a.pk in latest],
    }


@router.get("/needs-attention", response={200: list[AttentionItem], **COMMON},
            summary="Your Needs attention list, most urgent first")
def attention(request):
    m = request.membership
    items = needs_attention(m, timezone.now()) if m.sees_identifiable_clients else []
    record(InboxViewed(practice=m.practice, actor=request.user, count=len(items), clients=items))
    return [{"group": GROUP_TITLES[i.group], "title": i.title, "reason": i.reason, "action": i.action,
             "since": i.since, "due": i.due, "client": i.episode.client.code, "episode": i.episode.pk,
             "step": i.step.code if i.step is not None else None} for i in items]
