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

# What hurts, sentence by sentence. Each kind is a list of patterns matched
# against one lower-cased sentence at a time. The labelled sentences in
# tests/data/tone_sentences.csv (written for this check, see bench/tone.py)
# are what these are measured on; add a sentence there before a pattern here.
_NOT = r"(?<!no )(?<!not )(?<!n't )(?<!never )"
THREAT = [
    r"\bclose (?:your|the) (?:file|case|record)", r"\b(?:file|case)s? (?:will be |is being |gets? |)closed",
    r"\bclosed your (?:file|case)", r"= ?file closed",
    r"\bassume (?:that )?you(?:'ve| have|'re| are|)? ?(?:quit|done|dropped|given up|no longer|not|don't)",
    r"\btake it that you(?:'ve| have)? given up",
    r"\b(?:give|given|let) (?:your|the) (?:place|slot|space|spot|time)(?: away| go| to)",
    r"\byour (?:place|slot|space|spot)(?: will)? (?:go|goes|be given)",
    r"\b(?:lose|losing) (?:your|the) (?:place|slot|space|spot|time)", r"\bor lose\b",
    r"\bdischarg(?:e|ed|ing) you\b", r"\byou(?:'re| are| will be) discharged", r"\bremov(?:e|al of|al from) (?:you|your)",
    r"\bremoval from", r"\btake you off", r"\bre-?refer",
    r"\b(?:end|stop|close) (?:our work|treatment|therapy|your treatment)", r"\bwe'll (?:have to )?(?:end|stop)\b",
    r"\bcancel (?:the rest of )?your (?:sessions|appointments)", r"\bappointments will be cancelled",
    r"\bunable to offer (?:any )?further", r"\bwon't be able to keep seeing", r"\bcan't keep seeing",
    r"\blast chance\b", r"\bfinal warning\b", r"\bno choice but\b", r"\bforced to\b", r"\bor else\b",
    r"\bif this happens again\b", r"\bone more and\b", r"\bno longer wish to attend",
    r"\bif (?:i|we) (?:don't|do not) hear\b", r"\bunless you\b", r"\bwithout a reply\b", r"\bshould you not\b",
    r"\bif you (?:don't|do not) (?:respond|reply|text|call|ring|get in touch|contact|confirm)",
]
GUILT = [
    r"\bdisappoint", r"\blet (?:me|us) down\b", r"\blet down\b", r"\bhurt\b", r"\bupset", r"\bworried sick\b",
    r"\bwasted\b", r"\bwaited\b", r"\bsat waiting\b", r"\bwaiting (?:around )?for you\b", r"\bafter all (?:the|i|we|that)\b",
    r"\bafter everything\b", _NOT + r"(?<!don't )(?<!do not )\bowe (?:me|us)\b", r"\bexpected more\b",
    r"\bdeserve", r"\bcourtesy\b", r"\bturned (?:someone|somebody|others?|people)(?: else)? away",
    r"\bothers? (?:people )?(?:could|would|on the waiting list)", r"\bother people could\b",
    r"\bkept the (?:hour|time|slot) (?:free|open)", r"\bgutted\b", r"\bsad (?:that )?you\b", r"\bshame\b",
    r"\bfrustrat", r"\bstung\b", r"\btake it personally\b", r"\bout of my way\b", r"\brearranged\b",
    r"\beffort i\b", r"\bheard nothing\b", r"\bwithout a word\b", r"\bcouldn't even\b",
]
BLAME = [
    r"\byou(?:'ve| have)? missed\b", r"\byou (?:just )?(?:didn't|did not|never) (?:bother|show|turn up|come|cancel|tell|told"
    r"|let me know|inform|reply|respond|answer|call)", r"\bdid not inform\b", r"\bno-?show", r"\birresponsib",
    r"\byour fault\b", r"\bunacceptable\b", r"\brude\b", r"\byou forgot\b", r"\bignor(?:ed|ing)\b",
    r"\byou failed\b", r"\bfailed to (?:attend|keep|come|turn)", r"\byou keep (?:cancel|miss|no-?show|forget)",
    r"\battendance has been\b", r"\bpoor attendance\b", r"\bnon-?attendance\b", r"\black of commitment\b",
    r"\byou (?:have not|haven't) (?:responded|replied|answered|been in touch)", r"\bwhy (?:didn't|haven't|have|did|won't) you\b",
    r"\byou were supposed to\b", r"\bstood me up\b", r"\bcareless\b", r"\blet (?:this|it|things) slide\b",
    r"\btaking this seriously\b", r"\byou should have\b", r"\babsence without notice\b",
]
FEE = [
    _NOT + r"(?<!free of )\bcharg(?:e|ed|es|ing|eable)\b", _NOT + r"\bfees?\b", r"\bbill(?:ed|ing)?\b",
    r"\binvoic", r"\bpayable\b", r"\bpayment\b", r"\bpay (?:the|for|a)\b", r"\bbalance\b", r"\bliable\b",
    r"\bcost of\b", r"\bpenalt", r"\bdeduct", r"\bcard on file\b", r"\bowe (?:£|\$|€)?\d", r"\bunpaid\b",
    r"\byour statement\b", r"(?:£|\$|€)\s?\d", r"\b\d+ ?%",
]
PRESSURE = [
    r"(?<!nothing )(?<!anything )\byou (?:really )?(?:must|need to|have to)\b", r"\bi (?:really )?need (?:you|an answer|to hear)\b",
    r"\bmust (?:hear|book|reply|call|come|attend|respond)\b", r"\bneed you to\b", r"\bimmediately\b",
    _NOT + r"(?<!nothing )\burgent(?:ly)?\b", r"\bas soon as possible\b", r"\basap\b", r"\bstraight (?:away|back)\b",
    r"\bright (?:away|now)\b", r"\bwithout (?:delay|fail)\b", r"\bdon't delay\b", r"\bact now\b", r"\bpromptly\b",
    r"\bearliest convenience\b", r"\b(?:essential|vital|important|imperative) (?:that|to)\b", r"\brequired to\b",
    r"\binsist\b", r"\bexpect to hear\b", r"\bmake sure you\b", r"\bwithin \w+ days\b",
    r"\b(?:reply|respond|answer|call|ring|text|contact)(?: me| us| back)? (?:today|by (?:tomorrow|the end|monday"
    r"|tuesday|wednesday|thursday|friday|saturday|sunday))", r"\banswer by\b", r"\bby the end of the day\b",
    r"\bspaces are limited\b", r"\brunning out\b", r"\bbook quickly\b", r"\bthe moment you get\b",
    r"\byou (?:really )?should(?! have)\b", r"\bdeadline\b", r"\bfailure to\b",
]
# One finding per sentence where two would say the same thing: an ultimatum
# is a threat (its pressure is part of it); the blame in guilt, or in a
# charge "for the session you missed", is part of that finding.
DOMINATES = {"threat": ("pressure",), "guilt": ("blame",), "fee": ("blame",)}
KIND_WHY = {
    "threat": "sounds like a threat or an ultimatum. A client who stays away needs to hear the door is open, "
              "not what they will lose; leave it out.",
    "guilt": "can make the client feel guilty for staying away; that makes coming back harder.",
    "blame": "can read as blame. Say what you noticed without judging it, e.g. 'we didn't get to meet'.",
    "fee": "mentions money. Outreach to a client who has gone quiet is no place for fees or charges; "
           "send billing separately, if at all.",
    "pressure": "sounds like pressure. Invite rather than press: 'if you'd like…', 'whenever suits you'.",
}
_COMPILED = {kind: [re.compile(p) for p in pats] for kind, pats in
             (("threat", THREAT), ("guilt", GUILT), ("blame", BLAME), ("fee", FEE), ("pressure", PRESSURE))}
SENTENCE_RE = re.compile(r"(?<=[.!?])\s+|\n+")


def sentences(text: str) -> list[str]:
    return [s for s in (p.strip() for p in SENTENCE_RE.split(text)) if s]


def hurts(sentence: str) -> dict[str, str]:
    """{kind: the words that hurt} for one sentence, after DOMINATES."""
    low = " ".join(sentence.lower().replace("’", "'").split())
    found = {}
    for kind, pats in _COMPILED.items():
        for pat in pats:
            if m := pat.search(low):
                found[kind] = m.group(0)
                break
    for strong, weaker in DOMINATES.items():
        if strong in found:
            for w in weaker:
                found.pop(w, None)
    return found


# Words that reveal therapy to anyone who overhears a voicemail or sees a
# text on a lock screen or reads an envelope.
CLINICAL = [
    "therapy", "therapist", "therapeutic", "counselling", "counseling", "counsellor", "counselor",
    "psycholog", "psychiatr", "psychother", "mental health", "session", "clinic", "treatment",
    "medication", "diagnos", "symptom", "psychiatrist",
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
    r"\bdoor(?:'s| is| stays| remains)?(?: always)? open\b", r"\bwelcome\b", r"\bwhenever\b", r"\bany ?time\b",
    r"\b(?:a|always) place for you\b", r"\broom for you\b", r"\bcome back\b", r"\breturn\b",
    r"\bpick (?:things|it|this) up again\b", r"\bresume\b", r"\brestart\b", r"\bhere for you\b",
    r"\bif and when\b", r"\bif you ever\b", r"\bno time limit\b", r"\bwhen you're ready\b", r"\bwhen you are ready\b",
]
HOW_TO_REACH = [
    r"\breply\b", r"\breplying\b", r"\bcall (?:me|us|back|the|this)\b", r"\bring\b", r"\bphone\b", r"\btext (?:me|back|this|us)\b",
    r"\bemail\b", r"\bbook\b", r"\bbooking\b", r"\bget in touch\b", r"\bcontact\b", r"\bwrite (?:back|to (?:me|us|the))\b",
    r"\bdrop me a line\b", r"\bmessage (?:me|back|us)\b", r"\bsend me\b", r"\breach me\b", r"\bleave me a message\b",
    r"\breply slip\b", r"\bposted back\b", r"\bmy number\b", r"\bthis number\b",
]
# "No need to reply" is kind, but it is not a way to reach anyone.
NO_NEED_RE = re.compile(r"\b(?:no need|no pressure|don't need|don't have|no obligation) to (?:\w+ ){0,2}$")
_DOOR = [re.compile(p) for p in DOOR_OPEN]
_REACH = [re.compile(p) for p in HOW_TO_REACH]
LINK_RE = re.compile(r"\b[a-z0-9-]+(?:\.[a-z0-9-]+)+/[\w/-]+")


def opens_door(text: str) -> bool:
    low = " ".join(text.lower().replace("’", "'").split())
    return any(p.search(low) for p in _DOOR)


def says_how_to_reach(text: str) -> bool:
    if PHONE_RE.search(text) or URL_RE.search(text) or EMAIL_RE.search(text) or LINK_RE.search(text.lower()):
        return True
    low = " ".join(text.lower().replace("’", "'").split())
    for p in _REACH:
        for m in p.finditer(low):
            if not NO_NEED_RE.search(low[:m.start()]):
                return True
    return False


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
                                                                   "session", "therap", "counsel", "symptom")
                                                   else r"(?![\w])")
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

    for sentence in sentences(VAR_RE.sub(" ", body)):
        for kind, hit in hurts(sentence).items():
            findings.append(Finding(kind, PROBLEM, f"“{hit}” {KIND_WHY[kind]}", hit))

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
                or says_how_to_reach(VAR_RE.sub(" ", body)))
    if not reach_ok:
        findings.append(Finding("no-how-to-reach", PROBLEM,
                                "There is no way to get in touch: add a how-to-reach line, e.g. "
                                "{{ how_to_reach }}, a phone number or a link."))
    if not opens_door(low):
        findings.append(Finding("no-open-door", PROBLEM,
                                "There is no open-door line. Say the client is welcome whenever they're "
                                "ready, e.g. 'the door stays open'."))
    return findings


def problems(findings) -> list:
    return [f for f in findings if (f["severity"] if isinstance(f, dict) else f.severity) == PROBLEM]


def channel_name(channel: str) -> str:
    return {"call": "voicemail", "sms": "text", "email": "email", "letter": "letter"}.get(channel, channel)
