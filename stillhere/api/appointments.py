"""/appointments: a sync by updated_since, booking one, changing its status."""

from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from ninja import Query, Router, Schema
from ninja import Field as F
from ninja.responses import Status

from stillhere.accounts.permissions import visible_episodes
from stillhere.audit.events import AppointmentsListed, AppointmentWritten, record
from stillhere.clients.models import Appointment
from stillhere.engagement.rescan import rescan_clients
from stillhere.ingest.writer import renumber_sessions

from . import cursor, out
from .cursor import MAX_LIMIT
from .episodes import get_episode_or_404
from .errors import COMMON, ApiError
from .idempotency import idempotent
from .schemas import AppointmentCreate, AppointmentOut, AppointmentPage, AppointmentUpdate

router = Router(tags=["appointments"])
CANCELLED = (Appointment.Status.CANCELLED, Appointment.Status.LATE_CANCEL, Appointment.Status.CLINICIAN_CANCELLED)


class Since(Schema):
    updated_since: datetime | None = F(None, description="Only appointments written at or after this time "
                                       "(with its UTC offset). Keep the largest `updated` you saw for the next sync.")
    cursor: str | None = None
    limit: int = F(100, ge=1, le=MAX_LIMIT)


def _visible(m):
    return Appointment.objects.filter(episode__in=visible_episodes(m))


@router.get("/appointments", response={200: AppointmentPage, **COMMON},
            summary="Appointments you may see, oldest change first")
def list_appointments(request, q: Query[Since]):
    m = request.membership
    qs = _visible(m).select_related("episode__client")
    if q.updated_since is not None:
        if q.updated_since.tzinfo is None:
            raise ApiError(422, "invalid", "Give updated_since with its time zone offset, e.g. "
                           "2026-03-01T09:00:00+00:00.", "updated_since")
        qs = qs.filter(updated__gte=q.updated_since)
    after = cursor.decode(q.cursor, 2)
    if after:
        when = datetime.fromisoformat(after[0])
        qs = qs.filter(Q(updated__gt=when) | Q(updated=when, id__gt=after[1]))
    rows = list(qs.order_by("updated", "id")[:q.limit + 1])
    more = len(rows) > q.limit
    rows = rows[:q.limit]
    record(AppointmentsListed(practice=m.practice, actor=request.user, count=len(rows), clients=rows))
    return {"items": [out.appointment(a, a.episode.client.code) for a in rows],
            "next_cursor": cursor.encode(rows[-1].updated.isoformat(), rows[-1].pk) if more else None}


def _require_aware(**values):
    for name, v in values.items():
        if v is not None and v.tzinfo is None:
            raise ApiError(422, "invalid", f"Give {name} with its time zone offset, e.g. 2026-03-01T09:00:00+00:00.",
                           name)


@router.post("/appointments", response={201: AppointmentOut, **COMMON}, summary="Book an appointment")
@idempotent
def add_appointment(request, payload: AppointmentCreate):
    m = request.membership
    _require_aware(start=payload.start, booked_at=payload.booked_at)
    e = get_episode_or_404(m, payload.episode)
    if payload.external_id:
        there = Appointment.objects.filter(practice=m.practice, external_id=payload.external_id).first()
        if there is not None:
            # The address only for a caller who may see that appointment's client; the rest learn no more
            # than that the id is taken.
            seen = visible_episodes(m).filter(pk=there.episode_id).exists()
            raise ApiError(409, "exists", "An appointment with this external id is already in your practice"
                           + (": change it with PATCH at the address in “existing”." if seen else "."),
                           "external_id", existing=f"/api/v1/appointments/{there.pk}" if seen else None)
    a = Appointment.objects.create(
        practice=m.practice, episode=e, external_id=payload.external_id, start=payload.start,
        duration_min=payload.duration_min, status=payload.status, minutes_late=payload.minutes_late,
        booked_at=payload.booked_at or timezone.now(),
        cancelled_at=timezone.now() if payload.status in CANCELLED else None)
    renumber_sessions([e.pk])
    a.refresh_from_db()
    record(AppointmentWritten(practice=m.practice, actor=request.user, client=e.client, appointment=a, created=True))
    rescan_clients(m.practice, [e.client_id], why="after a booking")
    return Status(201, AppointmentOut(**out.appointment(a, e.client.code)))


@router.patch("/appointments/{appointment_id}", response={200: AppointmentOut, **COMMON},
              summary="Record what became of an appointment")
def update_appointment(request, appointment_id: int, payload: AppointmentUpdate):
    m = request.membership
    _require_aware(cancelled_at=payload.cancelled_at)
    with transaction.atomic():
        a = _visible(m).select_related("episode__client").select_for_update(of=("self",)).filter(
            pk=appointment_id).first()
        if a is None:
            raise Http404("No such appointment.")
        a.status = payload.status
        if payload.minutes_late is not None:
            a.minutes_late = payload.minutes_late
        if payload.status in CANCELLED:
            a.cancelled_at = payload.cancelled_at or a.cancelled_at or timezone.now()
        a.updated = timezone.now()
        a.save(update_fields=["status", "minutes_late", "cancelled_at", "updated"])
        renumber_sessions([a.episode_id])
        a.refresh_from_db()
        record(AppointmentWritten(practice=m.practice, actor=request.user, client=a.episode.client, appointment=a))
        rescan_clients(m.practice, [a.episode.client_id], why="after a session's outcome was recorded")
    return out.appointment(a, a.episode.client.code)
