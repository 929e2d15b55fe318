"""/outreach: steps waiting on a person, and what a person does with one
(approve, skip, log a call) through the same actions as the web; a
client's attempts and replies."""

from uuid import UUID

from django.utils import timezone
from ninja import Query, Router, Schema
from ninja import Field as F

from stillhere.accounts.permissions import get_client_or_404
from stillhere.audit.events import OutreachListed, OutreachStepViewed, record
from stillhere.outreach import actions
from stillhere.outreach.models import OutreachAttempt, OutreachStep, Reply

from . import out
from .errors import COMMON
from .schemas import CallLog, OutreachOut, StepApprove, StepOut, StepSkip

router = Router(tags=["outreach"])
St = OutreachStep.Status


class StepFilters(Schema):
    status: str = F("awaiting_approval", description="awaiting_approval (default), to_call, failed, uncertain, "
                    "approved, scheduled, sent, skipped ...")
    limit: int = F(100, ge=1, le=200)


@router.get("/outreach/steps", response={200: list[StepOut], **COMMON}, summary="Outreach steps, by status")
def list_steps(request, q: Query[StepFilters]):
    m = request.membership
    steps = list(actions.visible_steps(m).filter(status=q.status).order_by("due", "id")[:q.limit])
    record(OutreachListed(practice=m.practice, actor=request.user, count=len(steps), clients=steps))
    return [out.step(s) for s in steps]


@router.get("/outreach/steps/{code}", response={200: StepOut, **COMMON}, summary="One outreach step, with its words")
def get_step(request, code: UUID):
    m = request.membership
    s = actions.get_step_or_404(m, code)
    record(OutreachStepViewed(practice=m.practice, actor=request.user, client=s.client, step=s))
    return out.step(s)


def _fresh(m, code):
    return out.step(actions.get_step_or_404(m, code))


@router.post("/outreach/steps/{code}/approve", response={200: StepOut, **COMMON},
             summary="Approve a drafted message, edited or as it is")
def approve(request, code: UUID, payload: StepApprove):
    m = request.membership
    actions.approve(m, actions.get_step_or_404(m, code), timezone.now(), subject=payload.subject,
                    body=payload.body, despite_findings=payload.despite_findings)
    return _fresh(m, code)


@router.post("/outreach/steps/{code}/skip", response={200: StepOut, **COMMON}, summary="Skip a step")
def skip(request, code: UUID, payload: StepSkip):
    m = request.membership
    actions.skip(m, actions.get_step_or_404(m, code), payload.reason)
    return _fresh(m, code)


@router.post("/outreach/steps/{code}/call", response={200: StepOut, **COMMON}, summary="Log how a call went")
def log_call(request, code: UUID, payload: CallLog):
    m = request.membership
    actions.log_call(m, actions.get_step_or_404(m, code), payload.outcome, timezone.now(), payload.note)
    return _fresh(m, code)


@router.get("/clients/{code}/outreach", response={200: OutreachOut, **COMMON},
            summary="A client's outreach steps, attempts and replies")
def client_outreach(request, code: UUID):
    m = request.membership
    client = get_client_or_404(m, code)
    steps = list(actions.visible_steps(m).filter(client=client).order_by("due", "id"))
    attempts = OutreachAttempt.objects.filter(step__in=steps).select_related("step").order_by("created", "id")
    replies = Reply.objects.filter(client=client).select_related("step").order_by("received", "id")
    record(OutreachListed(practice=m.practice, actor=request.user, client=client, count=len(steps)))
    return {"steps": [out.step(s) for s in steps],
            "attempts": [{"id": a.code, "step": a.step.code, "channel": a.channel, "status": a.status,
                          "delivery": a.delivery, "created": a.created, "finished": a.finished} for a in attempts],
            "replies": [{"id": r.pk, "source": r.source, "received": r.received,
                         "step": r.step.code if r.step else None, "text": r.text} for r in replies]}
