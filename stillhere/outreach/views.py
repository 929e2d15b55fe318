"""Outreach pages for members (steps, letters, templates) and the public
endpoints (the client's response page, inbound webhooks). Thin: the work is
in actions.py, responses.py and inbound.py."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from stillhere.accounts.decorators import member_required
from stillhere.audit.events import (LettersPrinted, OutboxViewed, OutreachListed, OutreachStepViewed, OutreachTemplateSaved,
                                    ResponsePageOpened, record)

from . import actions, exposed, inbound, public, responses, shortlinks, templating, tone
from .listing import effective_status
from .models import CHANNEL_KEYS, MessageTemplate, OutreachStep, PrintBatch, Response
from .words import CHANNEL_NAMES, template_name

S = OutreachStep.Status
ATTENTION = (S.AWAITING_APPROVAL, S.TO_CALL, S.FAILED, S.UNCERTAIN, S.SENDING)


@member_required
def queue(request):
    """Steps that need a person: drafts, calls, failures, uncertain sends."""
    m = request.membership
    if not m.sees_identifiable_clients:
        raise Http404()
    now = timezone.now()
    steps = list(actions.visible_steps(m).filter(status__in=ATTENTION).order_by("due")[:300])
    for s in steps:
        s.shown_status = effective_status(s, now)
    batch = PrintBatch.objects.filter(practice=m.practice, status="open").annotate(n=Count("letters")).first()
    record(OutreachListed(practice=m.practice, actor=request.user, count=len(steps), clients=steps))
    return render(request, "outreach/queue.html", {"steps": steps, "batch": batch})


@member_required
def step_detail(request, code):
    m = request.membership
    step = actions.get_step_or_404(m, code)
    now = timezone.now()
    if request.method == "POST":
        try:
            done = act_on(request, m, step, now)
            messages.success(request, done)
            return redirect("outreach:step", code=step.code)
        except ValidationError as e:
            messages.error(request, " ".join(e.messages))
        except PermissionDenied as e:
            return HttpResponse(str(e), status=403)
        step.refresh_from_db()
    record(OutreachStepViewed(practice=m.practice, actor=request.user, client=step.client, step=step))
    return render(request, "outreach/step.html", {
        "step": step, "status": effective_status(step, now), "may_decide": actions.may_decide(m, step),
        "attempts": step.attempts.order_by("created"), "outcomes": OutreachStep.Outcome.choices,
        "tz": m.practice.timezone,
    } | call_context(step))


def call_context(step) -> dict:
    """For a call: the number as a tel: link with the voicemail consent; for
    a safety check also the emergency contact the client agreed to."""
    from .safety import emergency_contact

    return {"call": public.call_details(step.client) if step.channel == "call" else None,
            "emergency": emergency_contact(step.client) if step.key == "safety_check" else None}


def act_on(request, m, step, now) -> str:
    action, post = request.POST.get("action", ""), request.POST
    if action == "approve":
        actions.approve(m, step, now, subject=post.get("subject"), body=post.get("body"),
                        despite_findings=post.get("despite_findings") == "on",
                        reason=post.get("override_reason", ""))
        return "Approved. It goes out when due, outside quiet hours."
    if action == "save":
        actions.save_draft(m, step, subject=post.get("subject", ""), body=post.get("body", ""))
        return "Draft saved."
    if action == "skip":
        actions.skip(m, step, post.get("reason", ""))
        return "Step skipped."
    if action == "log":
        actions.log_call(m, step, post.get("outcome", ""), now, post.get("note", ""))
        return "Call logged."
    if action == "retry":
        new = actions.retry(m, step, now, checked_not_received=post.get("checked") == "on")
        return f"A new attempt is queued (step {new.id})."
    if action == "received":
        actions.resolve_uncertain(m, step, now)
        return "Marked as received."
    raise ValidationError("Unknown action.")


@member_required
@require_POST
def tone_check(request):
    """Findings for the composer, as the clinician types (htmx)."""
    channel = request.POST.get("channel", "")
    if channel not in CHANNEL_KEYS:
        return HttpResponseBadRequest("Unknown channel.")
    findings = tone.check(request.POST.get("body", "")[:20000], channel, subject=request.POST.get("subject", ""))
    return render(request, "outreach/findings.html", {"findings": findings})


@member_required
def letters(request):
    m = request.membership
    if not m.sees_identifiable_clients:
        raise Http404()
    if request.method == "POST":
        try:
            n = actions.mark_posted(m, request.POST.get("batch", ""), timezone.now())
            messages.success(request, f"{n} letter(s) marked posted.")
        except ValidationError as e:
            messages.error(request, " ".join(e.messages))
        except PermissionDenied as e:
            messages.error(request, str(e))
        return redirect("outreach:letters")
    batches = PrintBatch.objects.filter(practice=m.practice).annotate(n=Count("letters")).order_by("-created")[:50]
    return render(request, "outreach/letters.html", {"batches": batches})


@member_required
def batch_pdf(request, batch_id):
    from stillhere.channels.letter.pdf import render_batch

    m = request.membership
    if not m.sees_identifiable_clients:
        raise Http404()
    try:
        batch = PrintBatch.objects.get(id=batch_id, practice=m.practice)
    except PrintBatch.DoesNotExist:
        raise Http404()
    letters = batch.letters.select_related("step__client", "step__practice").order_by("id")
    if not m.sees_whole_practice:
        # A print batch holds the whole practice's letters; a clinician may
        # print only those to their own clients.
        from stillhere.accounts.permissions import visible_clients

        letters = letters.filter(step__client__in=visible_clients(m))
    letters = list(letters)
    if not letters:
        raise Http404()
    record(LettersPrinted(practice=m.practice, actor=request.user, batch=batch, count=len(letters),
                         clients=[letter.step.client_id for letter in letters]))
    pdf = render_batch(letters, timezone.now())
    resp = HttpResponse(pdf, content_type="application/pdf")
    resp["Content-Disposition"] = f'inline; filename="letters-batch-{batch.id}.pdf"'
    return resp


@member_required
def template_edit(request, key, channel):
    """A practice's own wording for one template (directors and admins)."""
    m = request.membership
    if not m.sees_whole_practice or channel not in CHANNEL_KEYS:
        raise Http404()
    try:
        text = templating.load(m.practice, key, channel)
    except templating.TemplateMissing:
        text = templating.Text("", "")
    findings, subject, body = [], text.subject, text.body
    if request.method == "POST":
        subject, body = request.POST.get("subject", "").strip(), request.POST.get("body", "").replace("\r\n", "\n")
        findings = tone.check(body, channel, subject=subject, is_template=True)
        try:
            actions.one_line_subject(subject)
            actions.body_within_limit(body)
        except ValidationError as e:
            messages.error(request, " ".join(e.messages))
            return render(request, "outreach/template.html", {
                "key": key, "channel": channel, "subject": subject.replace("\r", " ").replace("\n", " "),
                "body": body, "findings": findings, "variables": templating.VARIABLES}, status=400)
        if not tone.problems(findings):
            MessageTemplate.objects.update_or_create(practice=m.practice, key=key, channel=channel,
                                                     defaults={"subject": subject, "body": body,
                                                               "updated_by": request.user})
            record(OutreachTemplateSaved(practice=m.practice, actor=request.user, key=key, channel=channel))
            messages.success(request, "Template saved.")
            return redirect("outreach:template", key=key, channel=channel)
    elif body:
        findings = tone.check(body, channel, subject=subject, is_template=True)
    return render(request, "outreach/template.html", {
        "key": key, "channel": channel, "subject": subject, "body": body, "findings": findings,
        "name": template_name(key), "channel_name": CHANNEL_NAMES.get(channel, channel),
        "variables": templating.VARIABLES,
    })


def response_page(request, token):
    """The client's page from a signed long link (/r/<token>/, sent before
    short links existed): no login, no clinical content, one answer per link.

    It is opened from an email, a text or a letter, so it must work with
    nothing but the link: no session, no account. The form is CSRF-protected
    like every other; the page's referrer policy is same-origin, so the
    browser names our own origin on the form post (a no-referrer page posts
    "Origin: null", which the CSRF check refuses) while the code in the
    address still never reaches another site.
    """
    try:
        step = responses.read_token(token)
    except responses.BadToken as e:
        return _dead_link(request, e, status=400)
    return _answer(request, step)


def short_link(request, code):
    """The response page at its short address (/l/<code>/): what texts,
    emails and letters carry."""
    try:
        step = shortlinks.read(code, timezone.now())
    except shortlinks.DeadLink as e:
        return _dead_link(request, e, status=400)
    return _answer(request, step)


def _answer(request, step):
    now = timezone.now()
    ctx = {"step": step, "name": exposed.client_name(step.client),
           "clinician": step.episode.clinician.name, "contact": public.contact_for(step.practice),
           "choices": Response.Choice.choices, "max_help": responses.MAX_HELP_CHARS}
    if request.method == "POST":
        choice = request.POST.get("choice", "")
        helped = request.POST.get("what_would_help", "")
        ctx.update(chosen=choice, helped=helped, wrap_up=request.POST.get("wrap_up") == "on")
        if choice not in Response.Choice.values:
            ctx["error"] = "Please choose one of the three options."
            return render(request, "outreach/response.html", ctx, status=400)
        if len(helped) > responses.MAX_HELP_CHARS:
            ctx["error"] = (f"Please keep your answer under {responses.MAX_HELP_CHARS} characters "
                            f"(it has {len(helped)}).")
            return render(request, "outreach/response.html", ctx, status=400)
        try:
            resp = responses.respond(step, choice, helped, request.POST.get("wrap_up") == "on", now)
        except responses.BadToken as e:
            return _dead_link(request, e, status=409)
        return render(request, "outreach/response_thanks.html", ctx | {"response": resp})
    record(ResponsePageOpened(practice=step.practice, client=step.client, step=step))
    if responses.already_answered(step):
        return _dead_link(request, responses.BadToken("We already have your answer from this link. Thank you.",
                                                      practice=step.practice), status=200)
    if responses.link_closed(step, step.episode):
        return _dead_link(request, responses.BadToken(responses.CLOSED, practice=step.practice), status=410)
    return render(request, "outreach/response.html", ctx)


def _dead_link(request, error, status):
    """A link that cannot be used: say why kindly, and how to reach the
    practice instead (never a bare error page)."""
    return render(request, "outreach/response_error.html",
                  {"message": str(error), "contact": public.contact_for(error.practice)}, status=status)


def _too_big(request, limit) -> bool:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > limit
    except ValueError:
        return True


@csrf_exempt
@require_POST
def inbound_email(request):
    """Raw RFC 5322 message, signed: X-Stillhere-Signature = hex HMAC-SHA256
    of "<X-Stillhere-Timestamp>." + body with INBOUND_EMAIL_SECRET."""
    if _too_big(request, inbound.MAX_EMAIL_BYTES):
        return HttpResponse(f"Body larger than {inbound.MAX_EMAIL_BYTES // 1024} KB.", status=413)
    body = request.body
    if err := inbound.verify_email_webhook(request.headers, body):
        return HttpResponse(err.message, status=err.status, content_type="text/plain")
    result = inbound.receive_email(body, timezone.now())
    return HttpResponse(result.message, status=result.status, content_type="text/plain")


def _provider_request(request):
    from stillhere.channels.sms.providers import get_provider
    from stillhere.outreach.transports import TransportError

    if _too_big(request, inbound.MAX_SMS_BYTES):
        return None, HttpResponse(f"Body larger than {inbound.MAX_SMS_BYTES // 1024} KB.", status=413)
    try:
        provider = get_provider()
    except TransportError as e:
        return None, HttpResponse(e.message, status=503)
    params = {k: request.POST.get(k) for k in request.POST}
    url = templating.site_url() + request.get_full_path()
    if not provider.verify(url, params, request.headers):
        return None, HttpResponse("The request signature is missing or wrong.", status=403)
    return params, None


@csrf_exempt
@require_POST
def inbound_sms(request):
    params, error = _provider_request(request)
    if error:
        return error
    result = inbound.receive_sms(params, timezone.now())
    if not result.ok:
        return HttpResponse(result.message, status=result.status, content_type="text/plain")
    return HttpResponse("<Response></Response>", content_type="text/xml")


@csrf_exempt
@require_POST
def delivery_status(request, code):
    params, error = _provider_request(request)
    if error:
        return error
    result = inbound.delivery_status(code, params, timezone.now())
    return HttpResponse(result.message, status=result.status, content_type="text/plain")


@member_required
def outbox(request):
    """What "went out" through the local outbox (the demo's emails and texts).

    A member sees messages to clients they may see, and to the practice's own
    staff (a client answered, a safety check escalated)."""
    from stillhere.accounts.models import Membership
    from stillhere.accounts.permissions import visible_clients

    from .models import OutboxMessage

    m = request.membership
    if not m.sees_identifiable_clients:
        raise Http404()
    clients = visible_clients(m)
    to = set(clients.exclude(email="").values_list("email", flat=True))
    to |= set(clients.exclude(phone="").values_list("phone", flat=True))
    staff = Membership.objects.filter(practice=m.practice).exclude(user__email="")
    to |= set((staff if m.sees_whole_practice else staff.filter(pk=m.pk)).values_list("user__email", flat=True))
    rows = [r for r in OutboxMessage.objects.all()[:2000] if r.to in to][:200]
    shown = {r.to for r in rows}
    ids = [pk for pk, email, phone in clients.values_list("pk", "email", "phone") if email in shown or phone in shown]
    record(OutboxViewed(practice=m.practice, actor=request.user, count=len(rows), clients=ids))
    return render(request, "outreach/outbox.html", {"rows": rows, "tz": m.practice.timezone,
                                                    "in_use": outbox_in_use()})


def outbox_in_use() -> bool:
    from django.conf import settings

    from stillhere.channels.outbox import EMAIL_BACKEND

    return settings.EMAIL_BACKEND == EMAIL_BACKEND or getattr(settings, "SMS_PROVIDER", "") == "outbox"


def outbox_context(request) -> dict:
    """Templates show the "What went out" link only where the outbox is used."""
    return {"outbox_in_use": outbox_in_use()}


def steps_for_timeline(episode):
    return (OutreachStep.objects.filter(episode=episode).exclude(status=S.SCHEDULED)
            .prefetch_related("attempts").order_by("due", "id"))


