"""Writes the API makes that the web has no one function for yet.

`end_episode` is the one place an episode is ended from the API: when the
practice gains an episode-ending service, this call switches to it.
"""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from stillhere.accounts.models import Membership
from stillhere.audit.events import ClientCreated, EpisodeEnded, record
from stillhere.clients.models import Client, Episode
from stillhere.engagement.models import StateChange
from stillhere.engagement.rescan import rescan_clients
from stillhere.engagement.transitions import change_state

from .errors import ApiError

# Which engagement state an ending puts the episode in; a referral or an
# administrative closure is an agreed ending, not a dropout.
ENDED_STATE = {
    Episode.EndReason.PLANNED: Episode.State.ENDED_PLANNED,
    Episode.EndReason.REFERRED: Episode.State.ENDED_PLANNED,
    Episode.EndReason.ADMINISTRATIVE: Episode.State.ENDED_PLANNED,
    Episode.EndReason.BY_CLIENT: Episode.State.ENDED_BY_CLIENT,
    Episode.EndReason.NO_GOODBYE: Episode.State.ENDED_NO_GOODBYE,
}


def may_change_episode(membership: Membership, episode: Episode) -> bool:
    """The episode's clinician or a clinical director, as for outreach decisions."""
    return membership.role == Membership.Role.DIRECTOR or episode.clinician_id == membership.pk


@transaction.atomic
def end_episode(membership: Membership, episode: Episode, reason: str, ended_on: date | None) -> Episode:
    """End an open episode with a reason: its state, the recorded change and
    any running outreach stop together, or not at all."""
    from stillhere.outreach.sequences import stop_sequences

    if not may_change_episode(membership, episode):
        raise PermissionDenied("Only the client's clinician or a clinical director can end this episode.")
    now = timezone.now()
    today = now.astimezone(membership.practice.tz).date()
    ended_on = ended_on or today
    if ended_on > today:
        raise ApiError(422, "invalid", "An episode cannot end on a day still to come.", "ended_on")
    if ended_on < episode.started:
        raise ApiError(422, "invalid", "An episode cannot end before it started.", "ended_on")
    if Episode.objects.filter(pk=episode.pk, ended=None).update(ended=ended_on, end_reason=reason) != 1:
        raise ValidationError("This episode has already ended.")
    episode.ended, episode.end_reason = ended_on, reason
    label = Episode.EndReason(reason).label
    change_state(episode, ENDED_STATE[reason], f"ended_{reason}", detail=f"{label}, recorded by {membership.name}",
                 at=now, source=StateChange.Source.CLINICIAN, by=membership)
    stop_sequences(episode, "the episode ended", now, actor=membership.user)
    record(EpisodeEnded(practice=membership.practice, actor=membership.user, client=episode.client,
                        episode=episode))
    rescan_clients(membership.practice, [episode.client_id], why="after an ending was recorded", now=now)
    return episode


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
    if Client.objects.filter(practice=practice, external_id=fields["external_id"]).exists():
        raise ApiError(409, "exists", "A client with this external id is already in your practice.", "external_id")
    client = Client.objects.create(practice=practice, **fields)
    started = started or timezone.now().astimezone(practice.tz).date()
    Episode.objects.create(practice=practice, client=client, clinician=clinician, started=started)
    record(ClientCreated(practice=practice, actor=membership.user, client=client))
    rescan_clients(practice, [client.pk], why="after a client was added")
    return client
