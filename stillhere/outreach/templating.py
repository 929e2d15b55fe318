"""Message templates: the practice's own wording or ours, with a handful of
variables.

Templates use `{{ name }}`-style variables and nothing else: no logic, so a
practice can edit them safely. A line holding a variable with no value (no
booking link, say) is left out, so a template reads well either way.
"""

import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

CHANNELS_DIR = Path(__file__).resolve().parent.parent / "channels"
VARIABLES = {
    "name": "the client's preferred name, or first name",
    "clinician": "the clinician's name",
    "practice": "the practice's name as others may see it (the sender name)",
    "since": "what happened, e.g. \"we didn't get to meet on Monday\" or \"it's been about five weeks since we last met\"",
    "crisis_line": "the practice's crisis line and emergency instructions",
    "how_to_reach": "how to reach the practice, from the outreach settings",
    "booking_link": "the practice's online booking page, if it has one",
    "response_link": "the client's personal link to book, pause or stop",
    "appointment": "when the appointment a reminder is for takes place, e.g. 'tomorrow at 3:00pm'",
}
# Used when the practice has not written its own "how to reach us" line.
DEFAULT_HOW_TO_REACH = {
    "call": "call me back on this number",
    "sms": "reply to this text",
    "email": "reply to this email",
    "letter": "write back or phone the practice",
}
VAR_RE = re.compile(r"{{\s*([A-Za-z_]+)\s*}}")


class TemplateMissing(Exception):
    pass


@dataclass
class Text:
    subject: str
    body: str


def builtin(key: str, channel: str) -> Text:
    path = CHANNELS_DIR / channel / "templates" / f"{key}.txt"
    if not re.fullmatch(r"[a-z_]+", key) or not path.exists():
        raise TemplateMissing(f"There is no '{key}' template for {channel}.")
    return split_subject(path.read_text())


def split_subject(raw: str) -> Text:
    """An email template's first line may be 'Subject: ...'."""
    raw = raw.replace("\r\n", "\n").strip("\n")
    if raw.startswith("Subject:"):
        first, _, rest = raw.partition("\n")
        return Text(first[len("Subject:"):].strip(), rest.strip("\n"))
    return Text("", raw)


def load(practice, key: str, channel: str) -> Text:
    from .models import MessageTemplate

    own = MessageTemplate.objects.filter(practice=practice, key=key, channel=channel).first()
    if own:
        return Text(own.subject, own.body)
    return builtin(key, channel)


def has_template(practice, key: str, channel: str) -> bool:
    try:
        load(practice, key, channel)
        return True
    except TemplateMissing:
        return False


def unknown_variables(text: str) -> list[str]:
    return sorted({v for v in VAR_RE.findall(text) if v not in VARIABLES})


def render(text: str, values: dict) -> str:
    lines = []
    for line in text.split("\n"):
        names = VAR_RE.findall(line)
        if any(not values.get(n) for n in names if n in VARIABLES):
            continue
        lines.append(VAR_RE.sub(lambda m: str(values.get(m.group(1), m.group(0))), line))
    # Never leave two blank lines where a dropped line used to be.
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip().replace("\xa0", " ")


def values_for(step, response_link: str = "", now=None) -> dict:
    from django.utils import timezone

    from . import exposed, situation
    from .models import OutreachSettings

    client, episode = step.client, step.episode
    prefs = OutreachSettings.for_practice(step.practice)
    return {
        "name": exposed.client_name(client),
        "clinician": exposed.plain_name(episode.clinician.name),
        "practice": exposed.neutral_practice_name(step.practice, prefs),
        "since": situation.since_phrase(step, now or max(step.due, timezone.now())),
        "crisis_line": crisis_line(prefs),
        "how_to_reach": prefs.how_to_reach or DEFAULT_HOW_TO_REACH[step.channel or "email"],
        "booking_link": prefs.booking_url,
        "response_link": response_link,
        "appointment": _when(step),
    }


def _when(step) -> str:
    """'tomorrow at 3:00pm' (or 'on Friday 13 March at 3:00pm'), in the practice's zone."""
    appt = getattr(step.sequence, "appointment", None)
    if appt is None:
        return ""
    tz = step.practice.tz
    local, today = appt.start.astimezone(tz), step.due.astimezone(tz).date()
    day = ("today" if local.date() == today else "tomorrow" if (local.date() - today).days == 1
           else f"on {local:%A} {local.day} {local:%B}")
    if local.hour == 0 and local.minute == 0:
        return day   # a date-only appointment
    return f"{day} at {local.hour % 12 or 12}:{local:%M}{'am' if local.hour < 12 else 'pm'}"


# Said when the practice has not set its own crisis line: true everywhere.
DEFAULT_CRISIS_LINE = "If you are in danger or need help right now, call your local emergency number."


def crisis_line(prefs) -> str:
    return prefs.crisis_line.strip() or DEFAULT_CRISIS_LINE


def site_url(practice=None) -> str:
    """The address clients reach this server at: the practice's public
    address where set, else the SITE_URL setting. Every link sent uses it."""
    if practice is not None:
        from .models import OutreachSettings

        own = OutreachSettings.for_practice(practice).public_url.strip()
        if own:
            return own.rstrip("/")
    return getattr(settings, "SITE_URL", "http://127.0.0.1:8000").rstrip("/")
