"""What a person does with a step, shared by the web pages and the CLI.

Every action is a conditional UPDATE on the step's status, so a double click,
a second tab or a terminal racing the web page changes a step only once.
Access is checked by the callers through visible_steps().
"""

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404

from stillhere.accounts.permissions import visible_episodes
from stillhere.audit.events import CallLogged, LettersPosted, OutreachDecided, ReplyReceived, record
from stillhere.clients.models import Episode
from stillhere.engagement.models import StateChange
from stillhere.engagement.rescan import rescan_quietly

from . import exposed, tone
from .models import OutreachAttempt, OutreachStep, PrintBatch, Reply
from .sending import after_handoff
from .sequences import OUTREACH_STATES, mark, stop_sequences

S = OutreachStep.Status


def visible_steps(membership):
    return OutreachStep.objects.filter(episode__in=visible_episodes(membership)).select_related(
        "client", "episode__clinician__user", "practice", "sequence")


def get_step_or_404(membership, code) -> OutreachStep:
    try:
        return visible_steps(membership).get(code=code)
    except (OutreachStep.DoesNotExist, ValueError, ValidationError):
        raise Http404("No such outreach step.")


def get_step_by_id_or_404(membership, step_id) -> OutreachStep:
    try:
        return visible_steps(membership).get(id=int(step_id))
    except (OutreachStep.DoesNotExist, ValueError):
        raise Http404(f"No outreach step {step_id} that you can see.")


def may_decide(membership, step) -> bool:
    """The episode's clinician or a clinical director decides on client-facing
    messages; admins can post letters but not approve words."""
    return membership.role == membership.Role.DIRECTOR or step.episode.clinician_id == membership.id


def _require(membership, step):
    if not may_decide(membership, step):
        raise PermissionDenied("Only the client's clinician or a clinical director can decide on this step.")


def _changed(step, expected) -> ValidationError:
    step.refresh_from_db(fields=["status"])
    return ValidationError(f"This step is now “{step.get_status_display()}”, not "
                           f"“{S(expected).label}”: someone else got there first.")


def one_line_subject(subject: str) -> str:
    """A subject is one line: a line break would let it add email headers."""
    if "\n" in subject or "\r" in subject:
        raise ValidationError("The subject must be on one line.")
    if len(subject) > MAX_SUBJECT:
        raise ValidationError(f"Please keep the subject under {MAX_SUBJECT} characters (it has {len(subject)}).")
    return subject


MAX_SUBJECT = 200
MAX_BODY = 20_000
MIN_REASON_CHARS = 5


def body_within_limit(body: str) -> str:
    if len(body) > MAX_BODY:
        raise ValidationError(f"Please keep the message under {MAX_BODY:,} characters (it has {len(body):,}).")
    return body


def approve(membership, step, now: datetime, *, subject=None, body=None, despite_findings=False, reason=""):
    """Approve a draft, optionally edited. One rule on every channel (email,
    text, letter, call script alike): the draft is tone-checked again with
    what strangers see beside it, and a problem blocks approval unless the
    clinician overrides it with a reason, which is kept on the step and
    audited."""
    _require(membership, step)
    subject = one_line_subject(step.subject if subject is None else subject.strip())
    body = body_within_limit(step.body if body is None else body.replace("\r\n", "\n").strip())
    findings = exposed.check_draft(step, subject, body)
    found = tone.problems(findings)
    reason = " ".join((reason or "").split())[:300]
    if found and not despite_findings:
        raise ValidationError(["The tone check found problems:"] + [f.message for f in found])
    if found and len(reason) < MIN_REASON_CHARS:
        raise ValidationError("To approve despite the problems found, say why in a few words; "
                              "the reason is kept with the message.")
    edited = (subject, body) != (step.subject, step.body)
    n = OutreachStep.objects.filter(id=step.id, status=S.AWAITING_APPROVAL).update(
        status=S.APPROVED, subject=subject, body=body,
        findings=[f.as_dict() for f in findings], approved_by=membership.user, approved_at=now,
        override_reason=reason if found else "")
    if n != 1:
        raise _changed(step, S.AWAITING_APPROVAL)
    action = "edited-and-approved" if edited else "approved"
    if found:
        action += "-despite-problems"
    record(OutreachDecided(practice=step.practice, actor=membership.user, client=step.client, step=step,
                           action=action, problems=sorted({f.code for f in found})))


def save_draft(membership, step, *, subject, body):
    _require(membership, step)
    subject = one_line_subject(subject.strip())
    body = body_within_limit(body.replace("\r\n", "\n").strip())
    findings = exposed.check_draft(step, subject, body)
    n = OutreachStep.objects.filter(id=step.id, status=S.AWAITING_APPROVAL).update(
        subject=subject.strip(), body=body, findings=[f.as_dict() for f in findings])
    if n != 1:
        raise _changed(step, S.AWAITING_APPROVAL)
    record(OutreachDecided(practice=step.practice, actor=membership.user, client=step.client, step=step,
                           action="edited"))
    return findings


def skip(membership, step, reason: str):
    _require(membership, step)
    reason = (reason or "").strip()[:150] or "no reason given"
    n = OutreachStep.objects.filter(id=step.id, status__in=OutreachStep.PENDING).update(
        status=S.SKIPPED, skip_reason=f"skipped by {membership.name}: {reason}"[:200])
    if n != 1:
        raise _changed(step, S.AWAITING_APPROVAL)
    record(OutreachDecided(practice=step.practice, actor=membership.user, client=step.client, step=step,
                           action="skipped"))


def log_call(membership, step, outcome: str, now: datetime, note: str = ""):
    """Log how a call went. Speaking with the client stops the sequence (a
    person has taken it from here) and re-engages an episode still in outreach."""
    _require(membership, step)
    if outcome not in OutreachStep.Outcome.values:
        raise ValidationError(f"Outcome must be one of: {', '.join(OutreachStep.Outcome.values)}.")
    with transaction.atomic():
        n = OutreachStep.objects.filter(id=step.id, status=S.TO_CALL).update(
            status=S.LOGGED, outcome=outcome, note=note.strip()[:2000], finished=now)
        if n != 1:
            raise _changed(step, S.TO_CALL)
        OutreachAttempt.objects.filter(step=step).update(delivery=outcome)
        step.status, step.outcome = S.LOGGED, outcome
        record(CallLogged(practice=step.practice, actor=membership.user, client=step.client, step=step,
                          outcome=outcome))
        if outcome == OutreachStep.Outcome.SPOKE:
            episode = Episode.objects.get(pk=step.episode_id)
            stop_sequences(episode, "the clinician spoke with the client", now, actor=membership.user)
            if episode.state in OUTREACH_STATES:
                mark(episode, Episode.State.RE_ENGAGED, "spoke_by_phone", "Spoke with the client by phone",
                     now, source=StateChange.Source.OUTREACH, by=membership)
        else:
            after_handoff(step, now)
    if outcome == OutreachStep.Outcome.SPOKE:
        # Word from the client: the scan counts it too, so "no word since" does not come back.
        rescan_quietly(step.practice, client_ids=[step.client_id], why="after a call was logged", now=now)


def retry(membership, step, now: datetime, *, checked_not_received=False) -> OutreachStep:
    """A new step with the same approved words, due now. For an uncertain
    step the clinician must first confirm the first one did not arrive."""
    _require(membership, step)
    if step.status == S.UNCERTAIN and not checked_not_received:
        raise ValidationError("This message may already have reached the client. Check with the provider "
                              "(or the client) before sending it again, then confirm.")
    if step.status not in (S.FAILED, S.UNCERTAIN):
        raise ValidationError("Only a failed or uncertain step can be retried.")
    if step.sequence.status != step.sequence.Status.RUNNING:
        raise ValidationError("The sequence has stopped; nothing more will be sent.")
    with transaction.atomic():
        # Moving the old step out of failed/uncertain first means a double
        # click makes one retry, not two.
        n = OutreachStep.objects.filter(id=step.id, status=step.status).update(
            status=S.SKIPPED, skip_reason="retried as a new step")
        if n != 1:
            raise _changed(step, step.status)
        new = OutreachStep.objects.create(
            sequence=step.sequence, practice=step.practice, client=step.client, episode=step.episode,
            position=step.position, key=step.key, template=step.template, channel=step.channel,
            closing=step.closing, auto=step.auto, due=now, status=S.APPROVED, subject=step.subject,
            body=step.body, findings=step.findings, approved_by=membership.user, approved_at=now, retry_of=step)
    record(OutreachDecided(practice=step.practice, actor=membership.user, client=step.client, step=step,
                           action="retried"))
    return new


def resolve_uncertain(membership, step, now: datetime):
    """The clinician checked: the uncertain message did arrive."""
    _require(membership, step)
    n = OutreachStep.objects.filter(id=step.id, status=S.UNCERTAIN).update(status=S.SENT, finished=now)
    if n != 1:
        raise _changed(step, S.UNCERTAIN)
    OutreachAttempt.objects.filter(step=step, status=OutreachAttempt.Status.UNCERTAIN).update(
        status=OutreachAttempt.Status.SENT, finished=now)
    step.status = S.SENT
    record(OutreachDecided(practice=step.practice, actor=membership.user, client=step.client, step=step,
                           action="confirmed-received"))
    after_handoff(step, now)


def mark_posted(membership, batch_id, now: datetime) -> int:
    """Staff posted a printed batch: each of its letters becomes posted."""
    if not membership.sees_identifiable_clients:
        raise Http404("No such batch.")
    try:
        batch = PrintBatch.objects.get(id=int(batch_id), practice_id=membership.practice_id)
    except (PrintBatch.DoesNotExist, ValueError):
        raise Http404(f"No print batch {batch_id} in your practice.")
    if not membership.sees_whole_practice:
        # A batch holds the whole practice's letters: a clinician may post it
        # only when every letter in it is to one of their own clients.
        others = batch.letters.exclude(step__episode__in=visible_episodes(membership))
        if others.exists():
            raise PermissionDenied("This batch holds letters to other clinicians' clients; "
                                   "a director or the practice admin marks it posted.")
    with transaction.atomic():
        if PrintBatch.objects.filter(id=batch.id, status=PrintBatch.Status.OPEN).update(
                status=PrintBatch.Status.POSTED, posted=now, posted_by=membership.user) != 1:
            raise ValidationError("This batch was already marked posted.")
        steps = list(OutreachStep.objects.filter(letter__batch=batch, status=S.TO_PRINT).select_related(
            "sequence", "practice"))
        OutreachStep.objects.filter(id__in=[s.id for s in steps]).update(status=S.POSTED, finished=now)
        OutreachAttempt.objects.filter(letter__batch=batch).update(delivery="posted")
    record(LettersPosted(practice=batch.practice, actor=membership.user, batch=batch, count=len(steps)))
    for step in steps:
        step.status = S.POSTED
        after_handoff(step, now)
    return len(steps)


def log_reply(client, source: str, now: datetime, *, text="", provider_id="", step=None, actor=None,
              by_membership=None) -> Reply | None:
    """Record a client's reply and stop their running outreach at once.

    The reply re-engages an episode that is still in outreach; after the
    episode has ended (a thank-you for the closing letter, say) it is kept
    on the timeline and the state stays as it is. A reply already recorded
    under the same provider id returns None and changes nothing.
    """
    from django.db import IntegrityError

    episode = step.episode if step else (client.episodes.filter(ended=None).order_by("-started").first()
                                         or client.episodes.order_by("-started").first())
    try:
        with transaction.atomic():
            reply = Reply.objects.create(practice=client.practice, client=client, episode=episode, step=step,
                                         source=source, text=text[:5000], provider_id=provider_id[:200],
                                         logged_by=actor, received=now)
    except IntegrityError:
        return None
    record(ReplyReceived(practice=client.practice, actor=actor, client=client, reply=reply))
    if episode:
        stop_sequences(episode, "the client replied", now, actor=actor)
        episode.refresh_from_db()
        if episode.state in OUTREACH_STATES:
            mark(episode, Episode.State.RE_ENGAGED, "reply", f"The client replied by {reply.get_source_display().lower()}",
                 now, source=StateChange.Source.CLIENT, by=by_membership)
        rescan_quietly(client.practice, client_ids=[client.pk], why="after a reply", now=now)
    return reply
