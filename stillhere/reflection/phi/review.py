"""What a person should still look at before a summary is shared.

The filter cannot know everything a clinician knows (a nickname, a rare
job, a town's only tattoo parlour). Rather than ask the author to reread
the whole summary, this marks the few things that could still point to
someone: capitalised words that are not clinical vocabulary, numbers, and
words not in the English word list. Placeholders ("[name]") and the
structured part written by stillhere itself are never marked.
"""

import re
from dataclasses import dataclass

from . import allow
from .words import is_word

MARKER = "The clinician's reflection:"
_TOKEN = re.compile(r"\[[^\]\n]{1,40}\]|[^\W_][\w'’-]*|\d[\d/.:-]*\d|\d")
_MOVED_DATE = re.compile(r"(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day )?\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|"
                         r"Sep|Oct|Nov|Dec)(?: \d{4})?")
# A number with a unit of time or dose says how much, not who.
_UNIT = re.compile(r"\s*(?:-\s*)?(?:min|mins|minutes?|hours?|hrs?|days?|weeks?|months?|years?|sessions?|mg|ml|%|"
                   r"times)\b", re.I)
_SENTENCE_END = re.compile(r"[.!?:;\"“(\n-]\s*$")


@dataclass
class Flag:
    start: int
    end: int
    word: str
    why: str


def flags(text: str) -> list[Flag]:
    """Words in the free-text part of `text` that a person should check."""
    begin = text.find(MARKER)
    begin = begin + len(MARKER) if begin >= 0 else 0
    moved = [m.span() for m in _MOVED_DATE.finditer(text)]
    _, scores = allow.protected_ranges(text, text.lower())
    safe = moved + scores
    out = []
    for m in _TOKEN.finditer(text, begin):
        w, s = m.group(), m.start()
        if w.startswith("[") or any(a <= s < b for a, b in safe):
            continue
        line_start = text.rfind("\n", 0, s) + 1
        starts_sentence = not text[line_start:s].strip() or bool(_SENTENCE_END.search(text[line_start:s])) or \
            text[line_start:s].rstrip().endswith(":")
        if any(c.isdigit() for c in w):
            if len(re.sub(r"\D", "", w)) >= 2 and not _UNIT.match(text, m.end()):
                out.append(Flag(s, m.end(), w, "a number"))
        elif allow.is_allowed(w) or w in ("I", "I'm", "I'd", "I've", "I'll"):
            continue
        elif w[0].isupper() and (not starts_sentence or not is_word(w)):
            out.append(Flag(s, m.end(), w, "a capitalised word"))
        elif not is_word(w) and len(w) >= 3:
            out.append(Flag(s, m.end(), w, "an unusual word"))
    return out


def segments(text: str, found: list[Flag]) -> list[tuple[str, str]]:
    """`text` cut into (piece, why) for display; why is "" where nothing is marked."""
    out, pos = [], 0
    for f in found:
        if f.start > pos:
            out.append((text[pos:f.start], ""))
        out.append((text[f.start:f.end], f.why))
        pos = f.end
    out.append((text[pos:], ""))
    return out
