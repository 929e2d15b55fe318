"""The one way an episode's engagement state changes.

Every caller (the scan, outreach, a clinician's override, the client's own
response page) goes through `change_state`, so each transition is recorded
with a reason and a time, and two processes changing the same episode at
once cannot both win: the update is conditional on the state read.

A change into an ended state also records the episode's end (its date, in
the practice's zone, and why) when nothing has yet: the practice figures
count endings from there, so an ending the scan derives (a final session)
counts just as one a person records. A change out of an ended state opens
the episode again.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from stillhere.clients.models import Episode

from .models import StateChange

ENDED = {Episode.State.ENDED_NO_GOODBYE, Episode.State.ENDED_PLANNED, Episode.State.ENDED_BY_CLIENT}
END_REASON_FOR = {Episode.State.ENDED_NO_GOODBYE: Episode.EndReason.NO_GOODBYE,
                  Episode.State.ENDED_PLANNED: Episode.EndReason.PLANNED,
                  Episode.State.ENDED_BY_CLIENT: Episode.EndReason.BY_CLIENT}


@transaction.atomic
def change_state(episode: Episode, new_state: str, reason: str, *, detail: str = "",
                 at: datetime | None = None, source: str = StateChange.Source.SCAN, by=None,
                 note: str = "", safety_check: bool = False) -> StateChange | None:
    """Move `episode` to `new_state`; returns the StateChange, or None when the
    episode was already in that state or another process changed it first.
    The one change within a state: a missed session that now calls for a
    same-day safety check (reconcile.py), recorded with `safety_check`."""
    old = episode.state
    if old == new_state and not safety_check:
        return None
    at = at or timezone.now()
    fields = {"state": new_state, "state_since": at}
    if new_state in ENDED and episode.ended is None:
        from stillhere.accounts.models import Practice

        tz = Practice.objects.get(pk=episode.practice_id).tz
        fields["ended"] = max(at.astimezone(tz).date(), episode.started)
        fields["end_reason"] = reason if reason in Episode.EndReason.values else END_REASON_FOR[new_state]
    elif old in ENDED and new_state not in ENDED:
        fields["ended"], fields["end_reason"] = None, ""   # open again (reconcile.py says when)
    updated = Episode.objects.filter(pk=episode.pk, state=old).update(**fields)
    if updated != 1:
        return None
    for k, v in fields.items():
        setattr(episode, k, v)
    return StateChange.objects.create(
        practice_id=episode.practice_id, episode=episode, old_state=old, new_state=new_state,
        reason=reason, detail=detail[:300], at=at, source=source, by=by, note=note,
        safety_check=safety_check,
    )
