"""/webhooks: an admin registers the practice's HTTPS endpoints, switches
them off, and reads each delivery with its tries."""

import secrets
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.http import Http404
from ninja import Router
from ninja.responses import Status

from stillhere.accounts.models import Membership
from stillhere.audit.events import WebhookChanged, record

from .errors import COMMON, ApiError
from .idempotency import idempotent
from .models import WebhookEndpoint
from .schemas import DeliveryOut, WebhookCreate, WebhookCreated, WebhookOut
from .webhooks import BadUrl, check_url, current_marks

router = Router(tags=["webhooks"])


def _admin(m):
    if m.role != Membership.Role.ADMIN:
        raise PermissionDenied("Only a practice admin can manage webhooks.")


def _out(ep) -> dict:
    return {"id": ep.code, "url": ep.url, "events": ep.events, "active": ep.active, "created": ep.created}


def _endpoint(m, code):
    ep = WebhookEndpoint.objects.filter(practice=m.practice, code=code).first()
    if ep is None:
        raise Http404("No such webhook.")
    return ep


@router.get("/webhooks", response={200: list[WebhookOut], **COMMON}, summary="Your practice's webhooks")
def list_webhooks(request):
    _admin(request.membership)
    return [_out(ep) for ep in WebhookEndpoint.objects.filter(practice=request.membership.practice).order_by("id")]


@router.post("/webhooks", response={201: WebhookCreated, **COMMON}, summary="Register a webhook address")
@idempotent
def add_webhook(request, payload: WebhookCreate):
    m = request.membership
    _admin(m)
    try:
        url = check_url(payload.url)
    except BadUrl as e:
        raise ApiError(422, "invalid", str(e), "url")
    after_change, after_reply = current_marks()
    ep = WebhookEndpoint.objects.create(practice=m.practice, url=url, secret=secrets.token_urlsafe(32),
                                        events=sorted(set(payload.events)), created_by=request.user,
                                        after_change=after_change, after_reply=after_reply)
    record(WebhookChanged(practice=m.practice, actor=request.user, endpoint=ep))
    return Status(201, WebhookCreated(**_out(ep), secret=ep.secret))


@router.post("/webhooks/{code}/disable", response={200: WebhookOut, **COMMON}, summary="Switch a webhook off")
def disable_webhook(request, code: UUID):
    m = request.membership
    _admin(m)
    ep = _endpoint(m, code)
    if ep.active:
        WebhookEndpoint.objects.filter(pk=ep.pk).update(active=False)
        ep.active = False
        record(WebhookChanged(practice=m.practice, actor=request.user, endpoint=ep))
    return _out(ep)


@router.get("/webhooks/{code}/deliveries", response={200: list[DeliveryOut], **COMMON},
            summary="A webhook's latest deliveries and their tries")
def deliveries(request, code: UUID):
    m = request.membership
    _admin(m)
    ep = _endpoint(m, code)
    return [{"event_id": d.event_id, "event": d.event, "status": d.status, "attempts": d.attempts,
             "created": d.created, "delivered": d.delivered} for d in ep.deliveries.order_by("-id")[:100]]
