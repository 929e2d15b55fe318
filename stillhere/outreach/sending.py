"""The tick's units of work, each "do one thing, say whether there may be
more", in the manner of healthchecks' sendalerts.

Every write that could race is a conditional UPDATE:
- a StateChange is claimed by setting `processed` where it is still NULL;
- a step is drafted only while still "scheduled";
- a step is claimed by moving "approved" to "sending" with a fresh claim token;
- the attempt row is written in the same transaction that sets `attempted`
  where the claim token still matches and `attempted` is still NULL, and is
  committed before the transport is called;
- a stale claim is returned to the queue only where `attempted` is NULL
  (nothing can have gone out), otherwise it becomes "uncertain".
So two workers never send one step twice, and a crash leaves either a step
back in the queue (nothing sent) or an "uncertain" step a person checks.
"""

import time
import uuid
from datetime import datetime, timedelta as td

from django.db import transaction

from stillhere.audit.events import OutreachAttempted, OutreachDrafted, OutreachFailed, OutreachUncertain, record
from stillhere.clients.models import Episode
from stillhere.engagement.models import StateChange

from django.utils import timezone

from . import exposed, templating, tone
from .models import ChannelBlock, OutreachAttempt, OutreachSettings, OutreachStep, Sequence
from .pacing import not_now
from .shortlinks import short_url
from .sequences import handle_change, mark, why_not
from .transports import TransportError, get_transport

S = OutreachStep.Status
# Longer than any transport can take (3 tries x 10 s timeouts), so a live
# worker's claim is never mistaken for a dead one.
STALE_AFTER = td(minutes=10)
# Drafts are made a day before they are due so the clinician can approve
# them in time for the step to go out on its day.
DRAFT_AHEAD = td(days=1)
RELATED = ("sequence", "client", "episode__clinician__user", "practice")


def handle_one_change(now: datetime) -> str | bool:
    change = StateChange.objects.filter(processed=None).order_by("id").first()
    if change is None:
        return False
    if StateChange.objects.filter(id=change.id, processed=None).update(processed=now) != 1:
        return True  # another tick got there first
    return handle_change(change, now)


def handle_one_draft(now: datetime) -> str | bool:
    step = (OutreachStep.objects.filter(status=S.SCHEDULED, due__lte=now + DRAFT_AHEAD)
            .select_related(*RELATED).order_by("due").first())
    if step is None:
        return False
    if reason := why_not(step, now):
        OutreachStep.objects.filter(id=step.id, status=S.SCHEDULED).update(status=S.SKIPPED, skip_reason=reason)
        return f"{code8(step)} ({step.channel}) skipped: {reason}"
    subject, body, findings = compose(step, now)
    # One rule for every channel: a draft with a problem waits for a person,
    # a call script included. A clean call script goes straight to the list.
    go_ahead = not tone.problems(findings) and (step.channel == "call" or step.auto)
    status = S.APPROVED if go_ahead else S.AWAITING_APPROVAL
    if OutreachStep.objects.filter(id=step.id, status=S.SCHEDULED).update(
            status=status, subject=subject, body=body, findings=[f.as_dict() for f in findings]) != 1:
        return True
    record(OutreachDrafted(practice=step.practice, client=step.client, step=step, automatic=go_ahead))
    return f"{code8(step)} ({step.channel}) drafted, {S(status).label.lower()}"


def compose(step, now: datetime | None = None) -> tuple[str, str, list]:
    """Render the step's template for its client, and tone-check the result.

    Links are short links on the practice's public address. A safety check
    always carries the practice's crisis line, even in a template that
    forgot it."""
    now = now or timezone.now()
    text = templating.load(step.practice, step.template, step.channel)
    wants_link = "response_link" in templating.VAR_RE.findall(text.subject + text.body)
    link = short_url(step) if wants_link and step.key != "safety_check" else ""
    values = templating.values_for(step, response_link=link, now=max(now, step.due))
    subject, body = templating.render(text.subject, values), templating.render(text.body, values)
    if step.key == "safety_check" and values["crisis_line"] not in body:
        body = f"{body}\n\n{values['crisis_line']}"
    return subject, body, exposed.check_draft(step, subject, body)


def handle_one_send(now: datetime) -> str | bool:
    step = OutreachStep.objects.filter(status=S.APPROVED, due__lte=now).order_by("due", "id").first()
    if step is None:
        return False
    token = uuid.uuid4()
    if OutreachStep.objects.filter(id=step.id, status=S.APPROVED).update(
            status=S.SENDING, claim=token, claimed=now) != 1:
        return True  # another tick got there first
    return send_claimed(step.id, token, now)


def send_claimed(step_id: int, token, now: datetime) -> str:
    """Send one claimed step at most once.

    1. Recheck the facts (why_not); skip with a reason if it must not go.
    2. Ask pacing; if "not now", put it back with a later `due`.
    3. Write the attempt row ("sending") and set `attempted`, conditional on
       our claim, and commit.
    4. Call the transport; record sent or failed. A failure is never
       retried here: a person decides (with clients in therapy a duplicate
       does more harm than a late message).
    """
    step = OutreachStep.objects.select_related(*RELATED).get(id=step_id)
    mine = OutreachStep.objects.filter(id=step_id, claim=token, status=S.SENDING)
    if reason := why_not(step, now):
        mine.filter(attempted=None).update(status=S.SKIPPED, skip_reason=reason, claim=None)
        return f"{code8(step)} ({step.channel}) skipped: {reason}"
    prefs = OutreachSettings.for_practice(step.practice)
    if later := not_now(step, prefs, now):
        why, when = later
        mine.filter(attempted=None).update(status=S.APPROVED, due=when, claim=None, claimed=None)
        return f"{code8(step)} ({step.channel}) moved to {when:%Y-%m-%d %H:%M}: {why}"

    transport = get_transport(step)
    with transaction.atomic():
        if mine.filter(attempted=None).update(attempted=now) != 1:
            return f"{code8(step)} ({step.channel}) claim lost, not sent"
        attempt = OutreachAttempt.objects.create(step=step, practice=step.practice, client=step.client,
                                                 channel=step.channel, created=now)
        attempt.provider_id = transport.known_id(attempt)
        if attempt.provider_id:
            attempt.save(update_fields=["provider_id"])
        record(OutreachAttempted(practice=step.practice, client=step.client, step=step, attempt=attempt))

    started, error, permanent = time.monotonic(), "", False
    try:
        provider_id = transport.notify(step, attempt) or attempt.provider_id
    except TransportError as e:
        provider_id, error, permanent = attempt.provider_id, e.message[:300], e.permanent
    secs = time.monotonic() - started
    return finish(step, attempt, transport, now, error=error, permanent=permanent,
                  provider_id=provider_id, secs=secs)


def finish(step, attempt, transport, now, *, error, permanent, provider_id, secs) -> str:
    A = OutreachAttempt.Status
    OutreachAttempt.objects.filter(id=attempt.id).update(
        status=A.FAILED if error else A.SENT, error=error, provider_id=provider_id or "", finished=now)
    # "uncertain" too: a slow transport may finish after the sweep flagged it.
    live = OutreachStep.objects.filter(id=step.id, status__in=[S.SENDING, S.UNCERTAIN])
    if error:
        live.update(status=S.FAILED, finished=now, claim=None)
        if permanent:
            ChannelBlock.objects.get_or_create(client=step.client, channel=step.channel,
                                               defaults={"reason": error[:200]})
        record(OutreachFailed(practice=step.practice, client=step.client, step=step, attempt=attempt,
                              error=error, permanent=permanent))
        return f"{code8(step)} ({step.channel}) Error in {secs:.1f}s: {error}"
    live.update(status=transport.handed_off_status, finished=now, claim=None)
    step.status = transport.handed_off_status
    after_handoff(step, now)
    return f"{code8(step)} ({step.channel}) OK in {secs:.1f}s"


def after_handoff(step, now: datetime) -> None:
    """The first step out moves the episode to "reaching out"; a delivered
    closing message ends it without goodbye, door open."""
    episode = Episode.objects.get(pk=step.episode_id)
    if step.sequence.kind == Sequence.Kind.CADENCE and episode.state in (Episode.State.MISSED,
                                                                        Episode.State.LAPSED):
        mark(episode, Episode.State.REACHING_OUT, "first_contact",
             f"First outreach: {step.title.lower()}", now,
             source=StateChange.Source.OUTREACH)
    delivered = step.status in (S.SENT, S.POSTED, S.LOGGED)
    if step.sequence.kind == Sequence.Kind.REMINDER:
        Sequence.objects.filter(pk=step.sequence_id, status=Sequence.Status.RUNNING).update(
            status=Sequence.Status.COMPLETED, ended=now)
        return
    if step.closing and delivered and not episode.ended:
        mark(episode, Episode.State.ENDED_NO_GOODBYE, "closing_sent",
             "The closing message went out with no reply to the sequence", now,
             source=StateChange.Source.OUTREACH)
        Episode.objects.filter(pk=episode.pk, ended=None).update(
            ended=now.astimezone(step.practice.tz).date(), end_reason=Episode.EndReason.NO_GOODBYE)
        Sequence.objects.filter(pk=step.sequence_id, status=Sequence.Status.RUNNING).update(
            status=Sequence.Status.COMPLETED, ended=now)


def handle_one_stale(now: datetime) -> str | bool:
    """A step claimed long ago and never finished: its worker died.

    - no attempt row yet: nothing can have gone out, so it goes back to the
      queue;
    - an attempt row exists: the message may or may not have left, so the
      step and attempt become "uncertain" for a person to check.
    """
    step = (OutreachStep.objects.filter(status=S.SENDING, claimed__lt=now - STALE_AFTER)
            .select_related("practice", "client").order_by("claimed").first())
    if step is None:
        return False
    q = OutreachStep.objects.filter(id=step.id, status=S.SENDING, claim=step.claim)
    if q.filter(attempted=None).update(status=S.APPROVED, claim=None, claimed=None) == 1:
        return f"{code8(step)} ({step.channel}) claim expired before any attempt; back in the queue"
    if q.update(status=S.UNCERTAIN) != 1:
        return True
    attempt = step.attempts.filter(status=OutreachAttempt.Status.SENDING).order_by("-created").first()
    if attempt:
        OutreachAttempt.objects.filter(id=attempt.id, status=OutreachAttempt.Status.SENDING).update(
            status=OutreachAttempt.Status.UNCERTAIN)
    record(OutreachUncertain(practice=step.practice, client=step.client, step=step, attempt=attempt))
    return f"{code8(step)} ({step.channel}) uncertain: interrupted after the attempt was written"


def code8(step) -> str:
    return str(step.code)[:8]


def handle_one_escalation(now: datetime) -> str | bool:
    from .safety import escalate_one

    return escalate_one(now)


def handle_send_batch(now: datetime) -> list[str] | bool:
    """Send due approved steps a batch at a time (batch.py): the same claim,
    attempt-before-send and result as handle_one_send, paid once a batch."""
    from .batch import send_batch

    return send_batch(now)


UNITS = (handle_one_change, handle_one_draft, handle_one_stale, handle_send_batch, handle_one_escalation)


def run_once(now_fn, log=lambda line: None, should_stop=lambda: False) -> int:
    """Run every unit until none finds work; returns how many units ran."""
    n, busy = 0, True
    while busy and not should_stop():
        busy = False
        for unit in UNITS:
            while not should_stop():
                result = unit(now_fn())
                if result is False:
                    break
                # A batch unit answers with its lines, one per step it settled.
                lines = result if isinstance(result, list) else [result] if isinstance(result, str) else []
                busy, n = True, n + max(len(lines), 1)
                for line in lines:
                    log(line)
    return n
