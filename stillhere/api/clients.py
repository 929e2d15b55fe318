"""/clients: list (filters, cursor pages), get, create, update. No delete:
erasing a client is its own audited path."""

from uuid import UUID

from django.db import transaction
from ninja import Query, Router, Schema
from ninja import Field as F
from ninja.responses import Status

from stillhere.accounts.permissions import get_client_or_404, visible_clients, visible_episodes
from stillhere.audit.events import ClientListViewed, ClientUpdated, ClientViewed, record
from stillhere.clients.models import Episode
from stillhere.engagement.rescan import rescan_clients

from . import cursor, out
from .cursor import MAX_LIMIT
from .errors import COMMON
from .idempotency import idempotent
from .schemas import ClientCreate, ClientOut, ClientPage, ClientUpdate
from .services import caseload_clinician, create_client

router = Router(tags=["clients"])


class ClientFilters(Schema):
    state: str | None = F(None, description="Only clients with an open episode in this engagement state.")
    clinician: int | None = F(None, description="Only clients with an episode held by this member.")
    open: bool | None = F(None, description="true: only clients with an open episode; false: only without.")
    cursor: str | None = None
    limit: int = F(50, ge=1, le=MAX_LIMIT)


@router.get("/clients", response={200: ClientPage, **COMMON}, summary="List the clients you may see")
def list_clients(request, filters: Query[ClientFilters]):
    m = request.membership
    qs = visible_clients(m)
    eps = Episode.objects.filter(practice_id=m.practice_id)
    if filters.state:
        qs = qs.filter(episodes__in=eps.filter(state=filters.state, ended=None))
    if filters.clinician is not None:
        qs = qs.filter(episodes__in=eps.filter(clinician_id=filters.clinician))
    if filters.open is not None:
        with_open = eps.filter(ended=None).values("client_id")
        qs = qs.filter(id__in=with_open) if filters.open else qs.exclude(id__in=with_open)
    after = cursor.decode(filters.cursor, 1)
    if after:
        qs = qs.filter(id__gt=after[0])
    rows = list(qs.distinct().order_by("id")[:filters.limit + 1])
    more = len(rows) > filters.limit
    rows = rows[:filters.limit]
    record(ClientListViewed(practice=m.practice, actor=request.user, count=len(rows), clients=rows))
    return {"items": out.clients(rows, visible_episodes(m)),
            "next_cursor": cursor.encode(rows[-1].pk) if more else None}


@router.get("/clients/{code}", response={200: ClientOut, **COMMON}, summary="One client, with their episodes")
def get_client(request, code: UUID):
    m = request.membership
    c = get_client_or_404(m, code)
    record(ClientViewed(practice=m.practice, actor=request.user, client=c))
    return out.clients([c], visible_episodes(m))[0]


@router.post("/clients", response={201: ClientOut, **COMMON}, summary="Add a client with a first episode")
@idempotent
def add_client(request, payload: ClientCreate):
    m = request.membership
    clinician = caseload_clinician(m, payload.clinician)
    fields = payload.model_dump(exclude={"clinician", "episode_started"}, exclude_none=True)
    c = create_client(m, fields, clinician, payload.episode_started)
    return Status(201, ClientOut(**out.clients([c], visible_episodes(m))[0]))


@router.patch("/clients/{code}", response={200: ClientOut, **COMMON}, summary="Change a client's details")
def update_client(request, code: UUID, payload: ClientUpdate):
    m = request.membership
    with transaction.atomic():
        c = get_client_or_404(m, code)
        changes = payload.model_dump(exclude_unset=True)
        changed = [k for k, v in changes.items() if v is not None and getattr(c, k) != v]
        for k in changed:
            setattr(c, k, changes[k])
        if changed:
            c.save(update_fields=changed)
            record(ClientUpdated(practice=m.practice, actor=request.user, client=c, fields=changed))
            rescan_clients(m.practice, [c.pk], why="after a client's details were saved")
    return out.clients([c], visible_episodes(m))[0]
