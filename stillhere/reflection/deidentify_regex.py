"""The first scrubber, regular expressions only: kept as the bench's baseline.

The consultation summary now goes through `stillhere.reflection.phi`
(issue 13 shows what this one let through); `bench/deid.py` runs both on
the same corpus so the difference stays measured.

What is removed or changed, and how:
- names: the client's, the clinician's, the practice's and every member's
  are replaced by a role ("[client]", "[clinician]"); any other capitalised
  word in the middle of a sentence is treated as a possible name and removed
  too (better a summary with a gap than a named third party);
- places: the client's address, town, region and postcode, postcodes and
  street addresses of any shape, and a capitalised word after "in", "at",
  "near", "from" or "to";
- contact details: emails, phone numbers, web addresses;
- dates: the structured part speaks in weeks since the start; dates written
  in the free text are moved by one random offset (30-90 days either way),
  so intervals between them still read true.
The author reads the result before sharing it: a machine can miss what a
person would recognise.
"""

import re
from datetime import date, timedelta


MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
_MON = {m[:3].lower(): i + 1 for i, m in enumerate(MONTHS)}
MONTH_RE = r"(Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|" \
           r"Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
EMAIL_RE = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
URL_RE = re.compile(r"\b(?:https?://|www\.)\S+", re.I)
PHONE_RE = re.compile(r"(?<!\w)\+?\d[\d ().-]{6,}\d(?!\w)")
UK_POSTCODE_RE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.I)
STREET_RE = re.compile(r"\b\d+[a-z]?\s+(?:[A-Z][a-z]+\s+){1,3}(?:Street|St|Road|Rd|Lane|Ln|Way|Avenue|Ave|Drive|"
                       r"Dr|Close|Court|Ct|Place|Pl|Crescent|Terrace|Gardens|Grove|Square|Boulevard|Blvd)\b\.?")
PLACE_AFTER_RE = re.compile(r"\b(in|at|near|from|to)\s+((?:[A-Z][a-z]+)(?:\s+[A-Z][a-z]+)*)")
ISO_DATE_RE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
DMY_RE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{2,4})\b")
DAY_MONTH_RE = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+" + MONTH_RE + r"\b(?:\s+(\d{4}))?")
MONTH_DAY_RE = re.compile(r"\b" + MONTH_RE + r"\s+(\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(\d{4}))?")
# Capitalised words that are not names: sentence words, therapy vocabulary.
ALLOWED = {
    "I", "I'm", "I'd", "I've", "I'll", "The", "A", "An", "We", "She", "He", "They", "It", "This", "That",
    "My", "Our", "Their", "Her", "His", "In", "On", "At", "After", "Before", "When", "If", "But", "And",
    "So", "Then", "What", "Why", "How", "Maybe", "Perhaps", "Next", "Last", "First", "Week", "Session",
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "Christmas", "English",
    "Mum", "Dad", "Mother", "Father", "God",
} | set(MONTHS) | {m[:3] for m in MONTHS}


def _shift(d: date, offset: timedelta) -> date:
    return d + offset


def _fmt(d: date) -> str:
    return f"{d.day} {MONTHS[d.month - 1][:3]} {d.year}"


def shift_dates(text: str, offset: timedelta, default_year: int) -> str:
    """Every written date moved by `offset`, each exactly once."""
    done: list[str] = []

    def put(y, m, d) -> str:
        try:
            done.append(_fmt(_shift(date(y, m, d), offset)))
        except ValueError:
            done.append("[date removed]")
        return f"\x00{len(done) - 1}\x00"

    text = ISO_DATE_RE.sub(lambda m: put(int(m[1]), int(m[2]), int(m[3])), text)
    text = DMY_RE.sub(lambda m: put(int(m[3]) + (2000 if len(m[3]) == 2 else 0), int(m[2]), int(m[1])), text)
    text = DAY_MONTH_RE.sub(lambda m: put(int(m[3] or default_year), _MON[m[2][:3].lower()], int(m[1])), text)
    text = MONTH_DAY_RE.sub(lambda m: put(int(m[3] or default_year), _MON[m[1][:3].lower()], int(m[2])), text)
    return re.sub("\x00(\\d+)\x00", lambda m: done[int(m[1])], text)


def _known(episode) -> list[tuple[str, str]]:
    """Known identifying strings, longest first, with what replaces them."""
    from stillhere.accounts.models import Membership

    c, clin = episode.client, episode.clinician
    pairs = [(c.first_name, "[client]"), (c.last_name, "[client]"), (c.preferred_name, "[client]"),
             (clin.name, "[clinician]"), (clin.user.first_name, "[clinician]"), (clin.user.last_name, "[clinician]"),
             (episode.practice.name, "[practice]"),
             (c.address_line1, "[place removed]"), (c.address_line2, "[place removed]"),
             (c.city, "[place removed]"), (c.region, "[place removed]"), (c.postal_code, "[place removed]"),
             (c.email, "[contact removed]"), (c.phone, "[contact removed]")]
    for m in Membership.objects.filter(practice_id=episode.practice_id).select_related("user"):
        for part in (m.display_name, m.user.first_name, m.user.last_name):
            pairs.append((part, "[colleague]"))
    pairs = [(s.strip(), r) for s, r in pairs if s and len(s.strip()) >= 2]
    return sorted(set(pairs), key=lambda p: -len(p[0]))


def scrub(text: str, episode, offset: timedelta) -> str:
    return scrub_known(text, _known(episode), offset, (episode.ended or episode.started).year)


def scrub_known(text: str, known: list[tuple[str, str]], offset: timedelta, default_year: int) -> str:
    """The regex scrub with the practice's names given as (string, role) pairs, longest first."""
    if not text:
        return ""
    text = EMAIL_RE.sub("[contact removed]", text)
    text = URL_RE.sub("[contact removed]", text)
    text = STREET_RE.sub("[place removed]", text)
    text = UK_POSTCODE_RE.sub("[place removed]", text)
    for known_name, role in known:
        text = re.sub(r"(?<!\w)" + re.escape(known_name) + r"(?:'s)?(?!\w)", role, text, flags=re.I)
    text = shift_dates(text, offset, default_year)
    text = PHONE_RE.sub("[contact removed]", text)
    text = PLACE_AFTER_RE.sub(lambda m: m[0] if m[2] in ALLOWED else f"{m[1]} [place removed]", text)

    def maybe_name(m):
        word = m.group(2)
        return m.group(1) + (word if word in ALLOWED or word.isupper() else "[name removed]")

    # A capitalised word not at the start of a sentence.
    return re.sub(r"([a-z,;:)]\s+)([A-Z][a-z'’]+)", maybe_name, text)
