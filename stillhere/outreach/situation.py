"""Words for what happened, so a script fits the client's situation.

"We didn't get to see each other this week" is wrong for a client gone five
weeks, and a clinician reading it aloud notices. The phrase is made from the
sequence's anchor (the missed session, or the moment a lapse was noticed)
and the client's last attended session, in the practice's time zone.
"""

from datetime import datetime

NUMBERS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
           "twelve")


def when_day(then: datetime, now: datetime, tz) -> str:
    """'today', 'yesterday', 'on Monday' within the week, else 'on 12 January'."""
    a, b = then.astimezone(tz).date(), now.astimezone(tz).date()
    days = (b - a).days
    if days <= 0:
        return "today"
    if days == 1:
        return "yesterday"
    if days < 7:
        return f"on {a:%A}"
    return f"on {a.day} {a:%B}"


def how_long(then: datetime, now: datetime) -> str:
    """'about five weeks', 'about three months' — said, not counted."""
    days = max(0, (now - then).days)
    if days < 14:
        return "a little while"
    weeks = round(days / 7)
    if weeks <= 8:
        return f"about {NUMBERS[weeks]} weeks"
    months = round(days / 30.4)
    if months <= 12:
        return f"about {NUMBERS[months]} months"
    years = round(days / 365)
    return "over a year" if years <= 1 else f"about {NUMBERS[min(years, 12)]} years"


def last_met(episode, before: datetime):
    from stillhere.clients.models import Appointment

    appt = (Appointment.objects.filter(episode=episode, status=Appointment.Status.ATTENDED, start__lt=before)
            .order_by("-start").first())
    return appt.start if appt else None


def since_phrase(step, now: datetime) -> str:
    """What the message says happened, e.g. "we didn't get to meet on Monday"
    or "it's been about five weeks since we last met"."""
    seq = step.sequence
    tz = step.practice.tz
    trigger = seq.trigger
    lapse = trigger is not None and trigger.new_state == "lapsed" and not trigger.safety_check
    if not lapse:
        return f"we didn't get to meet {when_day(seq.anchor, now, tz)}"
    met = last_met(step.episode, now)
    if met is None:
        return "it's been a while since we were last in touch"
    return f"it's been {how_long(met, now)} since we last met"
