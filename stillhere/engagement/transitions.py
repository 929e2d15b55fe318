"""The one way an episode's engagement state changes.

Every caller (the scan, outreach, a clinician's override, the client's own
response page) goes through `change_state`, so each transition is recorded
with a reason and a time, and two processes changing the same episode at
once cannot both win: the update is conditional on the state read.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from stillhere.clients.models import Episode

from .models import StateChange

ENDED = {Episode.State.ENDED_NO_GOODBYE, Episode.State.ENDED_PLANNED, Episode.State.ENDED_BY_CLIENT}


@transaction.atomic
def change_state(episode: Episode, new_state: str, reason: str, *, detail: str = "",
                 at: datetime | None = None, source: str = StateChange.Source.SCAN, by=None,
                 note: str = "", safety_check: bool = False) -> StateChange | None:
    """Move `episode` to `new_state`; returns the StateChange, or None when the
    episode was already in that state or another process changed it first."""
    old = episode.state
    if old == new_state:
        return None
    at = at or timezone.now()
    updated = Episode.objects.filter(pk=episode.pk, state=old).update(state=new_state, state_since=at)
    if updated != 1:
        return None
    episode.state, episode.state_since = new_state, at
    return StateChange.objects.create(
        practice_id=episode.practice_id, episode=episode, old_state=old, new_state=new_state,
        reason=reason, detail=detail[:300], at=at, source=source, by=by, note=note,
        safety_check=safety_check,
    )
