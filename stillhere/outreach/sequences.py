"""Starting and stopping sequences, and the checks made before every step.

The engagement scan records *that* an episode went quiet; this module decides
*what happens next*: which steps, on which consented channels, on which days,
and when to stop.
"""

from datetime import datetime, timedelta as td

from django.db import IntegrityError, transaction

from stillhere.audit.events import OutreachStarted, OutreachStopped, record
from stillhere.clients.models import Appointment, Episode
from stillhere.engagement.models import StateChange
from stillhere.engagement.transitions import change_state

from . import templating
from .models import CONSENT_FOR, ChannelBlock, OutreachSettings, OutreachStep, Sequence
from .policies import SAFETY_PLAN, plan_for
from .words import channel_list

S = OutreachStep.Status
# States in which a paced sequence may still reach out.
OUTREACH_STATES = (Episode.State.MISSED, Episode.State.LAPSED, Episode.State.REACHING_OUT)
STARTING_STATES = (Episode.State.MISSED, Episode.State.LAPSED)
# A change to one of these means the client is back or the episode is over.
STOPPING_STATES = (Episode.State.ACTIVE, Episode.State.RE_ENGAGED, Episode.State.ENDED_NO_GOODBYE,
                   Episode.State.ENDED_PLANNED, Episode.State.ENDED_BY_CLIENT, Episode.State.RETURNED)


def usable_channels(client, blocked: set[str] | None = None) -> set[str]:
    """The channels the client agreed to and that are not blocked; `blocked`
    when the caller has read the client's blocks already (the tick's batch)."""
    consented = set(client.consented_channels())
    if blocked is None:
        blocked = set(ChannelBlock.objects.filter(client=client).values_list("channel", flat=True))
    return {ch for ch, consent in CONSENT_FOR.items() if consent in consented and ch not in blocked}


def choose_channel(practice, client, step_spec, usable) -> str | None:
    for ch in step_spec["channels"]:
        if ch in usable and templating.has_template(practice, step_spec["template"], ch):
            return ch
    return None


def handle_change(change: StateChange, now: datetime) -> str:
    """Act on one claimed StateChange; returns a line for the log."""
    episode = Episode.objects.select_related("client", "practice", "clinician__user").get(pk=change.episode_id)
    if change.safety_check:
        seq = start_sequence(change, episode, now, kind=Sequence.Kind.SAFETY)
        return f"change {change.pk}: safety check {'scheduled' if seq else 'already running'}"
    if change.new_state in STARTING_STATES:
        if episode.state != change.new_state:
            return f"change {change.pk}: episode is now {episode.state}, nothing to start"
        seq = start_sequence(change, episode, now, kind=Sequence.Kind.CADENCE)
        return f"change {change.pk}: {'sequence started' if seq else 'a sequence is already running'}"
    if change.new_state in STOPPING_STATES:
        n = stop_sequences(episode, f"the episode became {change.get_new_state_display().lower()}", now)
        return f"change {change.pk}: {n} sequence(s) stopped"
    return f"change {change.pk}: nothing to do"


def start_sequence(change, episode, now: datetime, *, kind: str) -> Sequence | None:
    """Create the sequence and all its steps, with due times and channels.

    A safety check starts now and replaces any paced sequence; a paced
    sequence starts after the practice's waiting period from a missed
    session (or at once for a lapse), never in the past.
    """
    client, practice = episode.client, episode.practice
    prefs = OutreachSettings.for_practice(practice)
    if kind == Sequence.Kind.SAFETY:
        plan, start = SAFETY_PLAN, now
        stop_sequences(episode, "replaced by a same-day safety check", now, kind=Sequence.Kind.CADENCE)
    else:
        plan = plan_for(episode)
        wait = td(days=practice.waiting_days) if change.new_state == Episode.State.MISSED else td(0)
        start = max(change.at + wait, now)
    usable = usable_channels(client)
    try:
        with transaction.atomic():
            seq = Sequence.objects.create(practice=practice, client=client, episode=episode, trigger=change,
                                          kind=kind, anchor=change.at, started=start)
            steps = []
            for i, spec in enumerate(plan):
                channel = choose_channel(practice, client, spec, usable)
                steps.append(OutreachStep(
                    sequence=seq, practice=practice, client=client, episode=episode, position=i,
                    key=spec["key"], template=spec["template"], channel=channel or "",
                    closing=spec["key"] == "closing", auto=spec["key"] in prefs.auto_send,
                    due=start + td(days=spec["days"]),
                    status=S.SCHEDULED if channel else S.SKIPPED,
                    skip_reason="" if channel else "the client has not agreed to contact by "
                    + channel_list(spec["channels"]),
                ))
            OutreachStep.objects.bulk_create(steps)
    except IntegrityError:
        return None  # one running sequence of this kind per episode
    record(OutreachStarted(practice=practice, client=client, sequence=seq, steps=len(plan)))
    return seq


def stop_sequences(episode, reason: str, now: datetime, *, kind: str | None = None, actor=None) -> int:
    """Stop running sequences at once; their pending steps become skipped."""
    seqs = Sequence.objects.filter(episode=episode, status=Sequence.Status.RUNNING)
    if kind:
        seqs = seqs.filter(kind=kind)
    n = 0
    for seq in seqs:
        if Sequence.objects.filter(pk=seq.pk, status=Sequence.Status.RUNNING).update(
                status=Sequence.Status.STOPPED, stop_reason=reason[:200], ended=now) != 1:
            continue
        OutreachStep.objects.filter(sequence=seq, status__in=OutreachStep.PENDING).update(
            status=S.SKIPPED, skip_reason=f"outreach stopped because {reason}"[:200])
        record(OutreachStopped(practice=seq.practice, client=seq.client, actor=actor, sequence=seq,
                               reason=reason))
        n += 1
    return n


def rebooked(episode, now: datetime):
    return (Appointment.objects.filter(episode__client_id=episode.client_id, status=Appointment.Status.SCHEDULED,
                                       start__gt=now).order_by("start").first())


def why_not(step, now: datetime) -> str | None:
    """Why this step must not go out now, or None. Checked before drafting
    and again just before sending, as the facts may have changed:

    - the sequence was stopped;
    - the client asked not to be contacted;
    - the episode has ended or the client is back (rebooked, re-engaged);
    - the channel lost its consent or was blocked (bounce, STOP).
    A rebooking found here stops the whole sequence and marks the episode
    re-engaged.
    """
    seq, client, episode = step.sequence, step.client, step.episode
    if seq.status != Sequence.Status.RUNNING:
        return f"the sequence was stopped ({seq.stop_reason})" if seq.stop_reason else "the sequence was stopped"
    if client.do_not_contact:
        stop_sequences(episode, "the client asked not to be contacted", now)
        return "the client asked not to be contacted"
    if episode.ended:
        stop_sequences(episode, "the episode has ended", now)
        return "the episode has ended"
    if seq.kind == Sequence.Kind.REMINDER:
        appt = seq.appointment
        if appt is None or appt.status != Appointment.Status.SCHEDULED or appt.start <= now:
            Sequence.objects.filter(pk=seq.pk, status=Sequence.Status.RUNNING).update(
                status=Sequence.Status.STOPPED, stop_reason="the appointment was cancelled or has passed", ended=now)
            return "the appointment was cancelled or has passed"
    if seq.kind == Sequence.Kind.CADENCE:
        if appt := rebooked(episode, now):
            stop_sequences(episode, "the client rebooked", now)
            mark(episode, Episode.State.RE_ENGAGED, "rebooked",
                 f"Booked for {appt.start:%Y-%m-%d}", now, source=StateChange.Source.OUTREACH)
            return "the client rebooked"
        if episode.state not in OUTREACH_STATES:
            stop_sequences(episode, f"the episode is now {episode.get_state_display().lower()}", now)
            return f"the episode is now {episode.get_state_display().lower()}"
    if step.channel not in usable_channels(client):
        return f"no consent for {step.get_channel_display().lower()} any more"
    return None


def mark(episode, state: str, reason: str, detail: str, now: datetime, *, source: str, by=None):
    """change_state for changes outreach itself causes; they are marked
    processed at once so the tick does not pick its own changes up again."""
    change = change_state(episode, state, reason, detail=detail, at=now, source=source, by=by)
    if change:
        StateChange.objects.filter(pk=change.pk).update(processed=now)
    return change
