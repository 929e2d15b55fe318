"""The tone check: does a draft read the way DESIGN.md asks (brief, warm,
never pushy, door left open, no clinical detail where others may see)?

`check(text, channel)` returns findings, each with a code, a severity and an
explanation a clinician can act on. "problem" findings stop a draft from
going out automatically and must be fixed or consciously approved; "advice"
findings are shown but do not block.

It runs on rendered drafts and on templates (where `{{ how_to_reach }}`
counts as a how-to-reach line and `{{ response_link }}` as an open door).
"""

import re
from dataclasses import asdict, dataclass

from .templating import VAR_RE, VARIABLES

PROBLEM, ADVICE = "problem", "advice"

# (max words, max characters) per channel; a voicemail of ~90 words runs
# about 35 seconds, past which people stop listening.
LIMITS = {"call": (90, None), "sms": (None, 320), "email": (220, None), "letter": (330, None)}
SMS_SEGMENT = 160

PRESSURE = [
    "you must", "you need to", "you have to", "as soon as possible", "asap", "urgent", "immediately",
    "last chance", "final warning", "failure to", "required to", "deadline", "or else",
    "we insist", "don't delay", "act now",
]
GUILT = [
    "disappointed", "let me down", "let us down", "wasted", "after all i", "after everything",
    "you owe", "you should have", "i expected", "we expected", "hurt me", "worried sick",
]
BLAME = [
    "you missed", "you failed", "you didn't bother", "you did not bother", "your fault", "irresponsible",
    "ignored", "ignoring", "no-show", "no show", "unacceptable", "you forgot", "rude",
]
# Words that reveal therapy to anyone who overhears a voicemail or sees a
# text on a lock screen or reads an envelope.
CLINICAL = [
    "therapy", "therapist", "therapeutic", "counselling", "counseling", "counsellor", "counselor",
    "psycholog", "psychiatr", "psychother", "mental health", "session", "clinic", "treatment",
    "medication", "diagnos",
]
# Diagnoses, symptoms and measure names: never useful in outreach, and on an
# exposed channel they disclose health information.
DIAGNOSTIC = [
    "depress", "anxiety", "anxious", "ptsd", "bipolar", "trauma", "suicid", "self-harm", "self harm",
    "eating disorder", "disorder", "ocd", "adhd", "panic", "phq", "gad-7", "gad7", "core-10",
    "outcome rating", "session rating", "score",
]
SCORE_RE = re.compile(r"\b(?:ors|srs|phq-?9?|gad-?7?)\b\s*[:=]?\s*\d+|\b\d+\s*/\s*(?:27|21|40)\b", re.I)
DOOR_OPEN = [
    "door is open", "door stays open", "door's open", "door is always open", "door remains open",
    "welcome back", "you'd be welcome", "you would be welcome", "always welcome", "whenever you're ready",
    "whenever you are ready", "whenever you like", "if you ever", "any time", "anytime",
    "here whenever", "here for you",
]
HOW_TO_REACH = [
    "reply", "call me", "call back", "call us", "ring", "phone", "text me", "email me", "book",
    "get in touch", "contact",
]
PHONE_RE = re.compile(r"\+?\d[\d ()-]{7,}\d")
URL_RE = re.compile(r"https?://\S+")
EMAIL_RE = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.]+\b")


@dataclass
class Finding:
    code: str
    severity: str
    message: str
    excerpt: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def _find(words: list[str], low: str) -> list[str]:
    hits = []
    for w in words:
        pattern = r"(?<![\w-])" + re.escape(w) + (r"\w*" if w in ("psycholog", "psychiatr", "psychother",
                                                                   "diagnos", "depress", "suicid", "clinic",
                                                                   "session", "therap", "counsel") else r"(?![\w])")
        m = re.search(pattern, low)
        if m:
            hits.append(m.group(0))
    return hits


def _words(text: str) -> int:
    return len(re.findall(r"\S+", VAR_RE.sub("x", text)))


def check(text: str, channel: str, *, subject: str = "", envelope: str = "", sender: str = "",
          is_template: bool = False) -> list[Finding]:
    """All findings for one draft or template on one channel."""
    findings: list[Finding] = []
    body = text.strip()
    # Variables are checked on their own; their names ("clinician") are not words.
    low = " ".join(VAR_RE.sub(" ", body).lower().split())
    low_vars = VAR_RE.findall(body)

    for v in sorted({v for v in low_vars if v not in VARIABLES}):
        findings.append(Finding("unknown-variable", PROBLEM,
                                f"{{{{ {v} }}}} is not a variable we can fill in; use one of "
                                f"{', '.join(VARIABLES)}.", v))
    if not body:
        findings.append(Finding("empty", PROBLEM, "The message is empty."))
        return findings

    max_words, max_chars = LIMITS.get(channel, (None, None))
    if max_words and _words(body) > max_words:
        findings.append(Finding("too-long", PROBLEM,
                                f"{_words(body)} words; keep a {channel_name(channel)} under {max_words} "
                                "words so it stays brief and easy to take in."))
    if channel == "sms":
        n = len(body)
        if max_chars and n > max_chars:
            findings.append(Finding("too-long", PROBLEM,
                                    f"{n} characters; a text over {max_chars} characters arrives in "
                                    "pieces. Shorten it."))
        elif n > SMS_SEGMENT and not is_template:
            findings.append(Finding("two-texts", ADVICE,
                                    f"{n} characters: this goes as two texts. One ({SMS_SEGMENT}) is kinder."))
    if channel == "email" and subject and len(subject) > 60:
        findings.append(Finding("long-subject", ADVICE, "Subject lines over 60 characters get cut off."))

    for code, words, why in (
        ("pressure", PRESSURE, "sounds like pressure. Invite rather than press: "
                               "'if you'd like…', 'whenever suits you'."),
        ("guilt", GUILT, "can make the client feel guilty for staying away; that makes coming back harder."),
        ("blame", BLAME, "can read as blame. Say what you noticed without judging it, e.g. "
                         "'we didn't get to meet'."),
    ):
        for hit in _find(words, low):
            findings.append(Finding(code, PROBLEM, f"“{hit}” {why}", hit))

    exposed = channel in ("call", "sms")
    for where, part, is_exposed in (("message", low, exposed),
                                    ("subject line", subject.lower(), True),
                                    ("envelope", envelope.lower(), True),
                                    ("sender name", sender.lower(), True)):
        if not part:
            continue
        if is_exposed:
            for hit in _find(CLINICAL, part):
                findings.append(Finding("clinical-word", PROBLEM,
                                        f"“{hit}” in the {where}: others may see or hear a "
                                        f"{'text, voicemail, subject line or envelope' if where == 'message' else where}, "
                                        "so it must not reveal therapy.", hit))
        for hit in _find(DIAGNOSTIC, part) + SCORE_RE.findall(part):
            findings.append(Finding("clinical-detail", PROBLEM if is_exposed else ADVICE,
                                    f"“{hit}” in the {where} is clinical detail (a diagnosis, symptom or "
                                    "score). Outreach never needs it; leave it out.", hit))

    reach_ok = ("how_to_reach" in low_vars or "response_link" in low_vars or "booking_link" in low_vars
                or PHONE_RE.search(body) or URL_RE.search(body) or EMAIL_RE.search(body)
                or _find(HOW_TO_REACH, low))
    if not reach_ok:
        findings.append(Finding("no-how-to-reach", PROBLEM,
                                "There is no way to get in touch: add a how-to-reach line, e.g. "
                                "{{ how_to_reach }}, a phone number or a link."))
    if not _find(DOOR_OPEN, low):
        findings.append(Finding("no-open-door", PROBLEM,
                                "There is no open-door line. Say the client is welcome whenever they're "
                                "ready, e.g. 'the door stays open'."))
    return findings


def problems(findings) -> list:
    return [f for f in findings if (f["severity"] if isinstance(f, dict) else f.severity) == PROBLEM]


def channel_name(channel: str) -> str:
    return {"call": "voicemail", "sms": "text", "email": "email", "letter": "letter"}.get(channel, channel)
