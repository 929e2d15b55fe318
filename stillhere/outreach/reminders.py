"""A warm reminder for tomorrow's appointments that are likely to be missed.

After the morning scan has refreshed every upcoming appointment's no-show
risk, each of tomorrow's appointments at or above the practice's reminder
risk (OutreachSettings.reminder_risk, a percentage; 0 turns this off) gets
one reminder step:
- on the first channel the client consented to, text before email (a
  reminder is short, and a text is read);
- in the practice's own wording if it has written a "reminder" template;
- drafted by the tick like any other step, waiting for the clinician's
  approval unless the practice lets "reminder" go out on its own
  (auto_send), and sent outside quiet hours, at most once;
- stopped if the appointment is cancelled or moved before it goes.
A step that found no consented channel is kept as skipped, with the
reason, so the clinician sees why no reminder went.

Reminders handed off are a fact the no-show score reads ("reminded"), so
their effect on attendance can be measured.
"""

from datetime import datetime, time, timedelta

from django.db import IntegrityError, transaction

from stillhere.audit.events import OutreachStarted, record
from stillhere.clients.models import Appointment
from stillhere.risk.booking import latest_risks

from .models import OutreachSettings, OutreachStep, Sequence
from .sequences import choose_channel, usable_channels

SPEC = {"key": "reminder", "channels": ["sms", "email"], "template": "reminder"}
S = OutreachStep.Status


def tomorrow_window(practice, now: datetime) -> tuple[datetime, datetime]:
    tz = practice.tz
    day = now.astimezone(tz).date() + timedelta(days=1)
    return datetime.combine(day, time(0), tz), datetime.combine(day + timedelta(days=1), time(0), tz)


def due_reminders(practice, now: datetime, appointments=None) -> list[tuple]:
    """(appointment, its latest NoShowRisk) for tomorrow's booked
    appointments at or above the practice's reminder risk."""
    prefs = OutreachSettings.for_practice(practice)
    if not prefs.reminder_risk:
        return []
    t0, t1 = tomorrow_window(practice, now)
    qs = appointments if appointments is not None else Appointment.objects.filter(practice=practice)
    tomorrow = qs.filter(status=Appointment.Status.SCHEDULED, start__gte=t0, start__lt=t1)
    # The risks first, then only the appointments above the practice's risk
    # with their clients (whose contact details are decrypted as they load).
    risks = {k: r for k, r in latest_risks(tomorrow.values_list("pk", flat=True)).items()
             if r.probability * 100 >= prefs.reminder_risk}
    appts = list(tomorrow.filter(pk__in=list(risks)).select_related("episode__client", "episode__clinician__user")
                 .order_by("start"))
    return [(a, risks[a.pk]) for a in appts]


def plan_reminders(practice, now: datetime) -> int:
    """One reminder step per due appointment that has none yet; returns how many were planned."""
    prefs = OutreachSettings.for_practice(practice)
    # A reminder for an appointment that has passed holds no place any more.
    Sequence.objects.filter(practice=practice, kind=Sequence.Kind.REMINDER, status=Sequence.Status.RUNNING,
                            appointment__start__lt=now).update(status=Sequence.Status.COMPLETED, ended=now)
    planned = 0
    for appt, risk in due_reminders(practice, now):
        if Sequence.objects.filter(appointment=appt, kind=Sequence.Kind.REMINDER).exists():
            continue
        episode, client = appt.episode, appt.episode.client
        channel = choose_channel(practice, client, SPEC, usable_channels(client))
        try:
            with transaction.atomic():
                seq = Sequence.objects.create(practice=practice, client=client, episode=episode, appointment=appt,
                                              kind=Sequence.Kind.REMINDER, anchor=appt.start, started=now)
                OutreachStep.objects.create(
                    sequence=seq, practice=practice, client=client, episode=episode, position=0, key=SPEC["key"],
                    template=SPEC["template"], channel=channel or "", auto=SPEC["key"] in prefs.auto_send, due=now,
                    status=S.SCHEDULED if channel else S.SKIPPED,
                    skip_reason="" if channel else "no consented channel among text message, email")
        except IntegrityError:
            continue   # a reminder for another appointment of this episode is still waiting
        record(OutreachStarted(practice=practice, client=client, sequence=seq, steps=1))
        planned += 1
    return planned


def reminder_status(appt) -> tuple[str, object]:
    """In words: where this appointment's reminder stands, and its step."""
    step = (OutreachStep.objects.filter(sequence__appointment=appt, sequence__kind=Sequence.Kind.REMINDER)
            .order_by("-id").first())
    if step is None:
        return "A reminder will be offered after the morning scan", None
    words = {S.SCHEDULED: "Reminder being drafted", S.AWAITING_APPROVAL: "Reminder ready for your approval",
             S.APPROVED: "Reminder approved, waiting to go", S.SENDING: "Reminder going out",
             S.SENT: "Reminder sent", S.FAILED: "The reminder could not be sent",
             S.UNCERTAIN: "Not sure the reminder went out"}
    if step.status == S.SKIPPED:
        return f"No reminder: {step.skip_reason}", step
    return words.get(step.status, step.get_status_display()), step


__all__ = ["plan_reminders", "due_reminders", "reminder_status", "tomorrow_window"]
