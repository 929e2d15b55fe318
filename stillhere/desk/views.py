"""Acting on the inbox without leaving it, and the composer.

Thin: every decision is made by the services that already own it
(outreach.actions, engagement's overrides, measures' check-ins, reviews.py);
these views check access, call one function and say what happened. With
htmx they answer with a fragment (the item's new line, or an error in the
item's own message slot); without JavaScript the same forms post normally
and come back to the page with a message.
"""

import copy
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from stillhere.accounts.decorators import member_required
from stillhere.accounts.permissions import get_client_or_404, visible_episodes
from stillhere.audit.events import CheckinHeld, LetterPreviewed, OutreachStepViewed, record
from stillhere.clients.models import SessionMarker
from stillhere.outreach import actions, tone
from stillhere.outreach.models import OutreachStep

from . import composer
from .reviews import mark_raised as mark_item_raised
from .reviews import review_risk

S = OutreachStep.Status


def _htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _back(request, default: str = "/") -> str:
    """Where a form without JavaScript returns: the inbox as it was filtered
    (a path on this site, never another's)."""
    back = request.POST.get("back", "")
    if back.startswith("/") and url_has_allowed_host_and_scheme(back, allowed_hosts=None):
        return back
    return default


def _counts(request) -> str:
    """The inbox's counts after an action, as htmx out-of-band swaps: the
    summary line and each heading's number, for the filter in use."""
    from urllib.parse import parse_qs, urlsplit

    from stillhere.engagement.inbox import needs_attention
    from stillhere.engagement.views import inbox_filter, inbox_summary

    m = request.membership
    query = {k: v[0] for k, v in parse_qs(urlsplit(_back(request)).query).items()}
    clinician, kind = inbox_filter(m, query)
    summary = inbox_summary(m, needs_attention(m, timezone.now()), clinician, kind)
    return render_to_string("engagement/inbox_counts.html", summary | {"oob": True}, request=request)


def _done(request, slot: str, text: str, *, back: str = "/"):
    """Success: the item's line becomes a short confirmation, and the
    inbox's counts follow."""
    if not _htmx(request):
        messages.success(request, text)
        return redirect(_back(request, back))
    resp = render(request, "desk/done.html", {"text": text, "slot": slot})
    if back == "/":
        resp.content += _counts(request).encode()
    resp["HX-Retarget"] = f"#{slot}"
    resp["HX-Reswap"] = "outerHTML"
    return resp


def _failed(request, slot: str, text: str, *, back: str = "/"):
    """A refusal (someone got there first, a tone problem): said beside the
    item, and the item stays as it was."""
    if not _htmx(request):
        messages.error(request, text)
        return redirect(_back(request, back))
    return render(request, "desk/error.html", {"text": text})


def _step(request, code):
    step = actions.get_step_or_404(request.membership, code)
    if not request.membership.sees_identifiable_clients:
        raise Http404()
    return step


def _name(step_or_client) -> str:
    client = getattr(step_or_client, "client", step_or_client)
    return client.display_name


@member_required
@require_POST
def approve(request, code):
    step = _step(request, code)
    slot = request.POST.get("slot", "")
    try:
        actions.approve(request.membership, step, timezone.now())
    except ValidationError as e:
        return _failed(request, slot, " ".join(e.messages) + " Open it in the composer to change the words.")
    except PermissionDenied as e:
        return HttpResponse(str(e), status=403)
    when = timezone.localtime(step.due, request.membership.practice.tz)
    return _done(request, slot, f"{_name(step)}: {step.get_channel_display().lower()} approved. It goes out "
                                f"{when:%a} {when.day} {when:%b} at {when:%H:%M} or after, outside quiet hours.")


@member_required
@require_POST
def log_call(request, code):
    step = _step(request, code)
    slot = request.POST.get("slot", "")
    outcome = request.POST.get("outcome", "")
    try:
        actions.log_call(request.membership, step, outcome, timezone.now(), request.POST.get("note", ""))
    except ValidationError as e:
        return _failed(request, slot, " ".join(e.messages))
    except PermissionDenied as e:
        return HttpResponse(str(e), status=403)
    label = OutreachStep.Outcome(outcome).label.lower()
    after = (" Outreach has stopped; they are marked re-engaged." if outcome == OutreachStep.Outcome.SPOKE
             else " The next step follows on its day.")
    return _done(request, slot, f"{_name(step)}: call logged ({label}).{after}")


@member_required
@require_POST
def retry(request, code):
    step = _step(request, code)
    slot = request.POST.get("slot", "")
    try:
        actions.retry(request.membership, step, timezone.now())
    except ValidationError as e:
        return _failed(request, slot, " ".join(e.messages))
    except PermissionDenied as e:
        return HttpResponse(str(e), status=403)
    return _done(request, slot, f"{_name(step)}: a new attempt is queued.")


@member_required
@require_POST
def letters_posted(request, batch_id):
    m = request.membership
    slot = request.POST.get("slot", "letters")
    try:
        n = actions.mark_posted(m, batch_id, timezone.now())
    except ValidationError as e:
        return _failed(request, slot, " ".join(e.messages))
    except PermissionDenied as e:
        return _failed(request, slot, str(e))
    return _done(request, slot, f"{n} letter{'s' if n != 1 else ''} marked posted.")


def _inbox_item(m, episode_id, group, now):
    """The open episode the member may see (else a 404), and the inbox's own
    item of `group` for it now, or None when it has left the inbox."""
    from stillhere.engagement.inbox import needs_attention

    episode = visible_episodes(m).filter(pk=episode_id, ended__isnull=True).select_related("client").first()
    if episode is None or not m.sees_identifiable_clients:
        raise Http404("No such episode.")
    item = next((i for i in needs_attention(m, now) if i.group == group and i.episode.pk == episode.pk), None)
    return episode, item


@member_required
@require_POST
def review(request, episode_id):
    from stillhere.engagement.inbox import RISK

    m, slot, now = request.membership, request.POST.get("slot", ""), timezone.now()
    # The reason reviewed is the inbox's own, not whatever the form sends.
    episode, item = _inbox_item(m, episode_id, RISK, now)
    if item is None:
        return _failed(request, slot, "This is no longer in your inbox: something has changed since.")
    try:
        review_risk(m, episode, item.reason, request.POST.get("note", ""), now)
    except PermissionDenied as e:
        return HttpResponse(str(e), status=403)
    return _done(request, slot, f"{episode.client.display_name}: noted. It comes back here if something "
                                "changes, or in two weeks.")


@member_required
@require_POST
def mark_raised(request, episode_id):
    """A "talk about it at the next session" item, talked through: it stays
    away until a newer questionnaire alert arrives."""
    from stillhere.engagement.inbox import ALERT

    m, slot, now = request.membership, request.POST.get("slot", ""), timezone.now()
    # What is marked is the inbox's own item (its alerts and their date).
    episode, item = _inbox_item(m, episode_id, ALERT, now)
    if item is None:
        return _failed(request, slot, "This is no longer in your inbox: something has changed since.")
    try:
        mark_item_raised(m, item, now)
    except PermissionDenied as e:
        return HttpResponse(str(e), status=403)
    return _done(request, slot, f"{episode.client.display_name}: marked raised. It comes back here if the "
                                "questionnaires show something new, or in four weeks.")


@member_required
@require_POST
def checkin_held(request, code):
    """Record that today's session held a progress conversation (the same
    marker the client page's button records)."""
    from stillhere.measures.record import local_today, session_on

    m = request.membership
    client = get_client_or_404(m, code)
    slot = request.POST.get("slot", "")
    session = session_on(client, local_today(client.practice), episodes=visible_episodes(m))
    if session is None:
        return _failed(request, slot, "There is no session today to record the check-in on.")
    marker, created = SessionMarker.objects.get_or_create(appointment=session, kind=SessionMarker.Kind.CHECKIN,
                                                          defaults={"created_by": m})
    if created:
        record(CheckinHeld(practice=client.practice, actor=request.user, client=client, marker=marker))
    return _done(request, slot, f"{client.display_name}: check-in recorded for today's session.")


@member_required
@require_POST
def log_reply(request, code):
    """A reply that reached the practice another way (a card in the post, a
    call to reception): it stops any outreach, as every reply does."""
    from stillhere.outreach.models import Reply

    m = request.membership
    client = get_client_or_404(m, code)
    back = f"/clients/{client.code}/"
    source = request.POST.get("source", "")
    if source not in Reply.Source.values:
        return _failed(request, "reply", "Choose how the reply came.", back=back)
    text = request.POST.get("text", "").strip()
    if len(text) > 5000:
        return _failed(request, "reply", "Please keep the note under 5,000 characters.", back=back)
    actions.log_reply(client, source, timezone.now(), text=text, actor=request.user, by_membership=m)
    messages.success(request, "Reply logged. Any outreach still running has stopped.")
    return redirect(back)


# --- The composer ---


def _composer_context(request, step, *, subject=None, body=None, errors=(), note=""):
    subject = step.subject if subject is None else subject
    body = step.body if body is None else body
    ctx = {
        "step": step, "subject": subject, "body": body, "errors": errors, "note": note,
        "may_decide": actions.may_decide(request.membership, step),
        "editable": step.status == S.AWAITING_APPROVAL,
        "tz": request.membership.practice.timezone,
    }
    from stillhere.outreach.views import call_context

    ctx.update(_check_context(step, subject, body))
    ctx.update(call_context(step))
    return ctx


def _check_context(step, subject, body) -> dict:
    from stillhere.outreach.exposed import check_draft

    envelope = ""
    if step.channel == "letter":
        from stillhere.channels.letter.pdf import envelope_lines

        envelope = "\n".join(envelope_lines(step))
    findings = check_draft(step, subject, body)
    return {"findings": findings, "problems": tone.problems(findings), "meter": composer.meter(body, step.channel),
            "envelope": envelope.splitlines()}


@member_required
def compose(request, code):
    """One draft: edit it with the tone check and channel limits beside it,
    preview a letter as it will print, then approve, save or skip."""
    m = request.membership
    step = _step(request, code)
    now = timezone.now()
    if request.method == "POST":
        action = request.POST.get("action", "")
        subject = request.POST.get("subject", step.subject).strip()
        body = request.POST.get("body", "").replace("\r\n", "\n")
        try:
            if action == "approve":
                actions.approve(m, step, now, subject=subject, body=body,
                                despite_findings=request.POST.get("despite_findings") == "on",
                                reason=request.POST.get("override_reason", ""))
                messages.success(request, f"{_name(step)}: approved. It goes out when due, outside quiet hours.")
                return redirect("engagement:inbox")
            if action == "save":
                actions.save_draft(m, step, subject=subject, body=body)
                messages.success(request, "Draft saved.")
                return redirect("desk:compose", code=step.code)
            if action == "skip":
                actions.skip(m, step, request.POST.get("reason", ""))
                messages.success(request, f"{_name(step)}: step skipped.")
                return redirect("engagement:inbox")
            if action == "template" and actions.may_decide(m, step) and step.status == S.AWAITING_APPROVAL:
                from stillhere.outreach.sending import compose as draft_from_template

                subject, body, _ = draft_from_template(step)
                return render(request, "desk/compose.html",
                              _composer_context(request, step, subject=subject, body=body,
                                                note="A fresh draft from the template; not saved yet."))
            return HttpResponseBadRequest("Unknown action.")
        except ValidationError as e:
            step.refresh_from_db()
            # The words typed are kept, so nothing is lost to a refusal.
            return render(request, "desk/compose.html",
                          _composer_context(request, step, subject=subject, body=body, errors=e.messages),
                          status=400)
        except PermissionDenied as e:
            return HttpResponse(str(e), status=403)
    record(OutreachStepViewed(practice=m.practice, actor=request.user, client=step.client, step=step))
    return render(request, "desk/compose.html", _composer_context(request, step))


@member_required
@require_POST
def compose_check(request, code):
    """The tone check and the channel meter for the words as typed (htmx)."""
    step = _step(request, code)
    body = request.POST.get("body", "")[:20000].replace("\r\n", "\n")
    # The partial shows the envelope (the client's name and address).
    record(OutreachStepViewed(practice=step.practice, actor=request.user, client=step.client, step=step))
    return render(request, "desk/compose_check.html", {"step": step} | _check_context(
        step, request.POST.get("subject", "")[:300], body))


@member_required
@require_POST
def compose_from_template(request, code):
    """A fresh draft from the practice's template, replacing the words in the
    form (not saved until the clinician saves or approves)."""
    from stillhere.outreach.sending import compose as draft_from_template

    step = _step(request, code)
    if not actions.may_decide(request.membership, step) or step.status != S.AWAITING_APPROVAL:
        raise Http404()
    subject, body, _ = draft_from_template(step)
    record(OutreachStepViewed(practice=step.practice, actor=request.user, client=step.client, step=step))
    return render(request, "desk/compose_fresh.html", {"step": step, "subject": subject, "body": body}
                  | _check_context(step, subject, body))


@member_required
@require_POST
def compose_preview(request, code):
    """The letter as it will print, with the words as typed; nothing is saved."""
    from stillhere.channels.letter.pdf import render_letter

    step = _step(request, code)
    if step.channel != "letter":
        raise Http404()
    draft = copy.copy(step)
    draft.body = request.POST.get("body", step.body)[:20000].replace("\r\n", "\n")
    record(LetterPreviewed(practice=step.practice, actor=request.user, client=step.client, step=step))
    pdf = render_letter(draft, timezone.now())
    resp = HttpResponse(pdf, content_type="application/pdf")
    resp["Content-Disposition"] = 'inline; filename="letter-preview.pdf"'
    resp["Cache-Control"] = "no-store"
    return resp


