"""What a stranger sees or hears of outreach: the sender name on a voicemail,
a text, an envelope window and an email's From line, and the client's name.

A flatmate who hears a voicemail or sees a lock screen must not learn that
the client is in therapy. The practice's own name often says it ("Riverside
Therapy"), so exposed channels use the sender name the director chose; until
they choose one, the practice's name with any clinical word taken out.
"""

import re
import unicodedata

from . import tone

FALLBACK_PRACTICE = "the practice"
# Left dangling once a clinical word is taken out: "Centre for Therapy" -> "Centre".
_DANGLING = {"for", "of", "and", "&", "the", "in", "+", "-", "·", "|", ","}


def reveals_therapy(text: str) -> list[str]:
    """The clinical or therapy words in `text` that a stranger would notice."""
    low = " ".join(text.lower().split())
    return tone._find(tone.CLINICAL + tone.DIAGNOSTIC, low)


def neutral_practice_name(practice, prefs=None) -> str:
    """The practice's name as strangers may see it; never empty."""
    from .models import OutreachSettings

    prefs = prefs or OutreachSettings.for_practice(practice)
    chosen = prefs.sender_name.strip()
    if chosen and not reveals_therapy(chosen):
        return chosen
    name = chosen or practice.name
    if not reveals_therapy(name):
        return name
    return _without_clinical_words(name) or FALLBACK_PRACTICE


def _without_clinical_words(name: str) -> str:
    words = [w for w in name.split() if not reveals_therapy(w)]
    while words and words[-1].lower() in _DANGLING:
        words.pop()
    while words and words[0].lower() in _DANGLING - {"the"}:
        words.pop(0)
    return " ".join(words)


def sender_name(practice, clinician_name: str, prefs=None) -> str:
    """The From name and the name a voicemail or envelope gives: the
    clinician and the neutral practice name, e.g. "Alice Adams, Riverside"."""
    practice_name = neutral_practice_name(practice, prefs)
    clinician_name = plain_name(clinician_name)
    if practice_name == FALLBACK_PRACTICE:
        return clinician_name or "Your appointments"
    return f"{clinician_name}, {practice_name}" if clinician_name else practice_name


def plain_name(name: str) -> str:
    """A name as said on a voicemail or printed on an envelope: letters,
    spaces, hyphens, apostrophes and full stops only, so "Ana 🌻" is "Ana"."""
    kept = []
    for ch in unicodedata.normalize("NFC", name or ""):
        cat = unicodedata.category(ch)
        if cat.startswith("L") or cat.startswith("M") or ch in " -'’.":
            kept.append(ch)
        else:
            kept.append(" ")
    return re.sub(r"\s+", " ", "".join(kept)).strip(" -'’.")


def client_name(client) -> str:
    """The client's preferred name (else first name), fit for an exposed channel."""
    return plain_name(client.preferred_name) or plain_name(client.first_name) or "there"


def check_draft(step, subject: str, body: str) -> list:
    """The tone check for one step's draft with everything a stranger would
    see beside the words: the subject line, the sender name and, for a
    letter, what shows through the envelope window. Drafting, the composer
    and approval all call this, so one rule holds on every channel."""
    envelope = ""
    if step.channel == "letter":
        from stillhere.channels.letter.pdf import envelope_lines

        envelope = "\n".join(envelope_lines(step))
    from .models import OutreachSettings
    from .templating import crisis_line

    prefs = OutreachSettings.for_practice(step.practice)
    sender = sender_name(step.practice, step.episode.clinician.name, prefs)
    # The crisis line is the practice's own safety wording ("call 999 now"):
    # required on a safety check, so not judged as pressure.
    if step.key == "safety_check":
        body = body.replace(crisis_line(prefs), " ")
    return tone.check(body, step.channel, subject=subject, envelope=envelope, sender=sender)
