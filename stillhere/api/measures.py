"""/measures: record a questionnaire result (scored and checked as on the
web, PHQ-9's safety item included) and list a client's results."""

from uuid import UUID

from django.http import Http404
from ninja import Router
from ninja.responses import Status

from stillhere.accounts.permissions import get_client_or_404, visible_episodes
from stillhere.audit.events import MeasuresViewed, record
from stillhere.clients.models import Appointment
from stillhere.measures.models import MeasureResult
from stillhere.measures.record import record_result
from stillhere.measures.scoring import ScoringError

from . import out
from .errors import COMMON, ApiError
from .idempotency import idempotent
from .schemas import MeasureCreate, MeasureOut

router = Router(tags=["measures"])


@router.post("/measures", response={201: MeasureOut, **COMMON}, summary="Record a questionnaire result")
@idempotent
def add_measure(request, payload: MeasureCreate):
    m = request.membership
    client = get_client_or_404(m, payload.client)
    appt = None
    if payload.appointment is not None:
        appt = (Appointment.objects.filter(episode__in=visible_episodes(m), episode__client=client,
                                           pk=payload.appointment).select_related("episode").first())
        if appt is None:
            raise Http404("No such appointment for this client.")
    try:
        row = record_result(client, payload.instrument.strip(), items=payload.items, total=payload.total,
                            taken_on=payload.taken_on, appointment=appt, source="api",
                            external_id=payload.external_id, actor=request.user)
    except ScoringError as e:
        raise ApiError(422, "invalid", str(e), e.field)
    except ValueError as e:  # an external id or appointment of another client
        raise ApiError(409, "refused", str(e), "external_id")
    return Status(201, MeasureOut(**out.measure(row, client.code, row.score)))


@router.get("/clients/{code}/measures", response={200: list[MeasureOut], **COMMON},
            summary="A client's questionnaire results")
def list_measures(request, code: UUID):
    m = request.membership
    client = get_client_or_404(m, code)
    rows = list(MeasureResult.objects.filter(client=client).order_by("taken_on", "id"))
    record(MeasuresViewed(practice=m.practice, actor=request.user, client=client, count=len(rows)))
    return [out.measure(r, client.code) for r in rows]
