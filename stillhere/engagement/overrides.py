"""A clinician sets an episode's state by hand, with a note saying why.

The software proposes; the clinician decides. An override holds until
something new happens in the client's schedule (see reconcile.py), and it is
recorded like every other transition, with the clinician and their note.
"""

from django.core.exceptions import PermissionDenied, ValidationError

from stillhere.audit.events import StateOverridden, record
from stillhere.clients.models import Episode

from .transitions import change_state

# States a person may choose; "returned" and "reaching_out" belong to the
# system (a new episode, an outreach sequence).
CHOOSABLE = [Episode.State.ACTIVE, Episode.State.WATCH, Episode.State.MISSED, Episode.State.LAPSED,
             Episode.State.RE_ENGAGED, Episode.State.ENDED_PLANNED, Episode.State.ENDED_BY_CLIENT,
             Episode.State.ENDED_NO_GOODBYE]
MAX_NOTE = 2000


def override_state(member, episode: Episode, new_state: str, note: str):
    if not (episode.clinician_id == member.pk or member.role == member.Role.DIRECTOR):
        raise PermissionDenied("Only the episode's clinician or a clinical director can change its state.")
    if new_state not in CHOOSABLE:
        raise ValidationError({"state": f"{new_state!r} is not a state you can choose."})
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": "Please add a short note saying why."})
    if len(note) > MAX_NOTE:
        raise ValidationError({"note": f"Please keep the note under {MAX_NOTE} characters."})
    old = episode.state
    change = change_state(episode, new_state, "override", detail="Set by the clinician", source="clinician",
                          by=member, note=note)
    if change:
        record(StateOverridden(practice=member.practice, actor=member.user, client=episode.client,
                               episode=episode, old_state=old, new_state=new_state))
    return change
