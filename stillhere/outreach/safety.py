"""Safety never waits unseen (DESIGN.md stance 8).

A same-day safety check that nobody has logged as "spoke" by the practice's
hour (OutreachSettings.safety_escalate_at, default 17:00 local) escalates:
it appears in every director's and admin's inbox as "Unresolved safety
check" and, where the practice enables it, each of them gets an email that
carries only a link (no name, no detail: email is read on shared screens).

`escalate_one` is a unit of the tick (sending.UNITS), so whatever runs the
tick (cron, `stillhere tick --loop`, `stillhere worker`) escalates. A check
started after the hour escalates at once: the end of the day is no time for
a safety concern to wait for tomorrow. The SafetyEscalation row is written
before any email, and is unique per check, so two ticks escalate it once.
"""

from datetime import datetime

from django.db import IntegrityError, transaction

from stillhere.accounts.models import Membership
from stillhere.audit.events import SafetyEscalated, record

from . import templating
from .models import OutreachSettings, OutreachStep, SafetyEscalation, Sequence


def deadline(seq, prefs) -> datetime:
    """The practice hour on the day the check started, in the practice's zone;
    the start itself for a check that began after that hour."""
    tz = seq.practice.tz
    day = seq.started.astimezone(tz).date()
    at = datetime.combine(day, prefs.safety_escalate_at, tzinfo=tz)
    return max(at, seq.started)


def spoke(seq) -> bool:
    return OutreachStep.objects.filter(sequence=seq, outcome=OutreachStep.Outcome.SPOKE).exists()


def escalate_one(now: datetime) -> str | bool:
    """Escalate one running safety check past its hour; False when none is."""
    waiting = (Sequence.objects.filter(kind=Sequence.Kind.SAFETY, status=Sequence.Status.RUNNING,
                                       escalation__isnull=True)
               .select_related("practice", "client").order_by("started"))
    for seq in waiting:
        prefs = OutreachSettings.for_practice(seq.practice)
        due = deadline(seq, prefs)
        if now < due or spoke(seq):
            continue
        try:
            with transaction.atomic():
                esc = SafetyEscalation.objects.create(sequence=seq, practice=seq.practice, client=seq.client,
                                                      deadline=due, created=now)
        except IntegrityError:
            return True  # another tick escalated it a moment ago
        sent = email_directors(esc, prefs) if prefs.safety_escalate_email else 0
        if sent:
            SafetyEscalation.objects.filter(pk=esc.pk).update(emailed=sent)
        record(SafetyEscalated(practice=seq.practice, client=seq.client, escalation=esc, emailed=sent))
        return f"safety check {seq.pk} unresolved at {due.astimezone(seq.practice.tz):%H:%M}: escalated" + (
            f", {sent} email(s)" if sent else "")
    return False


def who_hears(practice):
    """Directors and admins of the practice: the people an escalation reaches."""
    return (Membership.objects.filter(practice=practice, role__in=[Membership.Role.DIRECTOR, Membership.Role.ADMIN])
            .select_related("user"))


def step_link(esc) -> str:
    step = esc.sequence.steps.order_by("position").first()
    path = f"/outreach/steps/{step.code}/" if step else "/"
    return templating.site_url(esc.practice) + path


def email_directors(esc, prefs) -> int:
    """One email to each director and admin: a link, no client details."""
    from django.core.mail import send_mail

    hour = f"{prefs.safety_escalate_at:%H:%M}"
    body = (f"A same-day safety check has not been resolved: by {hour} nobody had logged speaking with the "
            f"client.\n\nPlease see it now (you will be asked to sign in):\n{step_link(esc)}\n")
    sent = 0
    for m in who_hears(esc.practice):
        if not m.user.email:
            continue
        try:
            sent += send_mail("An unresolved safety check needs someone today", body, None, [m.user.email])
        except Exception:  # the inbox shows it either way; a mail server's trouble must not stop the tick
            continue
    return sent


def unresolved(practice):
    """Escalations whose safety check is still running (nobody has spoken)."""
    return (SafetyEscalation.objects.filter(practice=practice, sequence__status=Sequence.Status.RUNNING)
            .select_related("sequence__episode__client", "sequence__episode__clinician__user"))


def emergency_contact(client) -> dict | None:
    """The client's emergency contact, only where they agreed it may be used."""
    if not (client.emergency_consent and client.emergency_phone.strip()):
        return None
    from .public import tel_href

    return {"name": client.emergency_name.strip() or "Emergency contact",
            "relationship": client.emergency_relationship.strip(),
            "phone": client.emergency_phone.strip(), "tel": tel_href(client.emergency_phone)}
