"""Writes the API makes through the practice's own services, with the
refusals turned into the API's errors (a code, words and the field)."""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from stillhere.accounts.models import Membership
from stillhere.audit.events import ClientCreated, record
from stillhere.clients.models import Client, Episode
from stillhere.engagement.rescan import rescan_clients

from .errors import ApiError


def may_change_episode(membership: Membership, episode: Episode) -> bool:
    """The episode's clinician or a clinical director, as for outreach decisions."""
    return membership.role == Membership.Role.DIRECTOR or episode.clinician_id == membership.pk


def end_episode(membership: Membership, episode: Episode, reason: str, ended_on: date | None) -> Episode:
    """End an open episode with a reason through the same service as the
    client page (clients/endings.py): state, recorded change, end date and the
    stop of running outreach together or not at all; its refusals in the API's
    words and fields."""
    from stillhere.clients import endings

    if not may_change_episode(membership, episode):
        raise PermissionDenied("Only the client's clinician or a clinical director can end this episode.")
    ended_on = ended_on or timezone.now().astimezone(membership.practice.tz).date()
    try:
        return endings.end_episode(membership, episode, reason, ended_on)
    except endings.AlreadyEnded as e:
        raise ValidationError(str(e)) from None
    except endings.EndingError as e:
        raise ApiError(422, "invalid", str(e), e.field) from None


def caseload_clinician(membership: Membership, clinician_id: int | None) -> Membership:
    """Whose caseload a new client joins: a clinician's own; a director's or
    admin's choice of the practice's clinicians."""
    if membership.role == Membership.Role.CLINICIAN:
        if clinician_id not in (None, membership.pk):
            raise PermissionDenied("A clinician can add clients to their own caseload only.")
        return membership
    if not membership.sees_whole_practice:
        raise PermissionDenied("Your role does not allow adding clients.")
    if clinician_id is None:
        raise ApiError(422, "invalid", "Say whose caseload the client joins (a clinician's member id).", "clinician")
    c = Membership.objects.filter(practice=membership.practice, pk=clinician_id).select_related("user").first()
    if c is None or c.role == Membership.Role.CONSULTANT:
        raise ApiError(422, "invalid", "There is no clinician with that member id in your practice.", "clinician")
    return c


@transaction.atomic
def create_client(membership: Membership, fields: dict, clinician: Membership, started: date | None) -> Client:
    practice = membership.practice
    there = (Client.objects.filter(practice=practice).with_record_number(fields["external_id"])
             .values_list("code", flat=True))
    if there:
        # Only members who see the whole practice add clients, so they may see this one too.
        raise ApiError(409, "exists", "A client with this external id is already in your practice: change "
                       "their details with PATCH at the address in “existing”.", "external_id",
                       existing=f"/api/v1/clients/{there[0]}")
    client = Client.objects.create(practice=practice, **fields)
    started = started or timezone.now().astimezone(practice.tz).date()
    Episode.objects.create(practice=practice, client=client, clinician=clinician, started=started)
    record(ClientCreated(practice=practice, actor=membership.user, client=client))
    rescan_clients(practice, [client.pk], why="after a client was added")
    return client
