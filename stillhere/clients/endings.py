"""A clinician records how an episode ended: planned, the client's own
goodbye, or a referral on.

The one path to an ending, for the client page and the API alike. Its state, the recorded change (source
"clinician", with who and why), the episode's end date and reason, and the
stop of any outreach still running happen together or not at all, and are
audited. A later scan leaves an ended episode as it is (engagement/
reconcile.py); a return starts a new episode linked to this one.
"""

from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from stillhere.audit.events import EpisodeEnded, record
from stillhere.engagement.models import StateChange
from stillhere.engagement.rescan import rescan_clients
from stillhere.engagement.transitions import change_state

from .models import Appointment, Episode

R, S = Episode.EndReason, Episode.State
# The endings a person records on the client page, in their words, and the
# state each puts the episode in: a referral is an agreed ending, not a dropout.
CHOICES = {
    R.PLANNED: ("Planned ending", "You and the client agreed to finish.", S.ENDED_PLANNED),
    R.BY_CLIENT: ("Ended by the client", "They said goodbye and chose to stop.", S.ENDED_BY_CLIENT),
    R.REFERRED: ("Referred on", "They continue with another service or clinician.", S.ENDED_PLANNED),
}


# Every ending an integration may record (the API also takes "without
# goodbye" and "administrative"), and the state each leaves the episode in.
ENDED_STATE = {reason: state for reason, (_, _, state) in CHOICES.items()} | {
    R.NO_GOODBYE: S.ENDED_NO_GOODBYE, R.ADMINISTRATIVE: S.ENDED_PLANNED}


class EndingError(ValueError):
    """Why an ending cannot be recorded, in words for the page, and which of
    the answers it is about ("reason" or "ended_on")."""

    def __init__(self, message: str, field: str = "ended_on"):
        super().__init__(message)
        self.field = field


class AlreadyEnded(EndingError):
    """Someone else ended it first: nothing is changed."""


def may_end(member, episode: Episode) -> bool:
    """The episode's own clinician or a clinical director, as for a state override."""
    return episode.clinician_id == member.pk or member.role == member.Role.DIRECTOR


@transaction.atomic
def end_episode(member, episode: Episode, reason: str, ended_on: date, note: str = "", now=None) -> Episode:
    from stillhere.outreach.sequences import stop_sequences

    if not may_end(member, episode):
        raise PermissionDenied("Only the client's clinician or a clinical director can record an ending.")
    if reason not in ENDED_STATE:
        raise EndingError("Choose how the episode ended.", field="reason")
    now = now or timezone.now()
    tz = member.practice.tz
    if ended_on > timezone.localdate(now, tz):
        raise EndingError("The ending cannot be on a day still to come.")
    if ended_on < episode.started:
        raise EndingError(f"The episode started on {episode.started:%-d %b %Y}; the ending cannot be before that.")
    later = (Appointment.objects.filter(episode=episode, status=Appointment.Status.ATTENDED)
             .order_by("-start").values_list("start", flat=True).first())
    if later and later.astimezone(tz).date() > ended_on:
        raise EndingError(f"They came to a session on {later.astimezone(tz):%-d %b %Y}, after that day.")
    if Episode.objects.filter(pk=episode.pk, ended=None).update(ended=ended_on, end_reason=reason) != 1:
        raise AlreadyEnded("This episode has already ended.")
    episode.ended, episode.end_reason = ended_on, reason
    label, state = R(reason).label, ENDED_STATE[reason]
    change_state(episode, state, reason, detail=f"{label}, recorded by {member.name}", at=now,
                 source=StateChange.Source.CLINICIAN, by=member, note=(note or "").strip()[:2000])
    stop_sequences(episode, "the episode ended", now, actor=member.user)
    record(EpisodeEnded(practice=member.practice, actor=member.user, client=episode.client, episode=episode))
    rescan_clients(member.practice, [episode.client_id], why="after an ending was recorded", now=now)
    return episode
