"""The four layers put together: find, decide, replace.

Every layer proposes spans of the original text. Each character goes to
the first layer that claims it, in this order: the practice's known names
(certain), then contact details and identifiers, then dates (moved, not
removed), then the library's and the heuristics' guesses. Clinical words
are protected from the guesses, never from the known names. Neighbouring
parts of one name ("Anne" "-" "Marie", "Bea" "Nowak") become one
placeholder, so a reader cannot count or rebuild them.
"""

import re
from dataclasses import dataclass, field
from datetime import timedelta

import regex

from . import allow
from .dates import find_dates
from .engine import analyzer, nlp_engine
from .fold import fold
from .known import KnownNames
from .names import is_listed_name
from .words import is_word

ROLE_LABEL = {"client": "[client]", "clinician": "[clinician]", "colleague": "[colleague]",
              "contact": "[contact details]", "another client": "[another client]", "practice": "[the practice]",
              "place": "[place]"}
ENTITY = {  # Presidio entity -> (placeholder, rank)
    "EMAIL_ADDRESS": ("[email]", -1), "URL": ("[web address]", -1), "SOCIAL_HANDLE": ("[handle]", -1),
    "PHONE_NUMBER": ("[phone]", 2), "UK_NHS": ("[number]", 2), "US_SSN": ("[number]", 2),
    "US_ITIN": ("[number]", 2), "UK_NINO": ("[number]", 2), "CREDIT_CARD": ("[number]", 2),
    "IBAN_CODE": ("[number]", 2), "IP_ADDRESS": ("[number]", 2), "US_HEALTH_INSURANCE_MEMBER_ID": ("[number]", 5),
    "US_MBI": ("[number]", 2), "MEDICAL_LICENSE": ("[number]", 2), "ID_NUMBER": ("[number]", 3),
    "AGE_OVER_89": ("[over 89]", 3), "STREET_ADDRESS": ("[place]", 3), "POSTCODE": ("[place]", 3),
    "UK_POSTCODE": ("[place]", 3), "PERSON": ("[name]", 5), "LOCATION": ("[place]", 5),
    "ORGANIZATION": ("[organisation]", 5),
}
DATE_RANK, GUESS_RANK = 1, 6
NAMEISH = {"[client]", "[clinician]", "[colleague]", "[another client]", "[name]"}
JOINS = NAMEISH | {"[place]", "[organisation]", "[the practice]"}
TITLES = {"dr", "doctor", "mr", "mrs", "ms", "miss", "mx", "prof", "professor", "coach", "nurse", "rev", "revd",
          "father", "sister", "pastor", "rabbi", "imam", "sir", "dame", "lady", "lord", "judge", "officer", "pc",
          "det", "sgt", "captain", "uncle", "auntie", "aunty", "aunt", "cousin", "grandma", "nan", "nana", "granny"}
SPEECH = {"said", "says", "told", "called", "rang", "texted", "messaged", "emailed", "came", "asked", "wants",
          "wanted", "thinks", "thought", "felt", "feels", "was", "is", "has", "had", "will", "would", "left",
          "moved", "lives", "lived", "works", "worked", "died", "passed", "started", "stopped", "visited", "keeps",
          "and", "or", "who", "who's", "from", "went", "got", "gets", "seems", "seemed", "came", "cried", "shouted"}
PLACE_PREPS = {"in", "at", "near", "from", "to", "into", "outside", "around", "past", "towards", "toward", "via",
               "across", "behind", "opposite", "off"}
_OPENERS = {".", "!", "?", ":", ";", "\"", "“", "(", "-", "–", "—", "•", "*", "'", "‘", ">"}


@dataclass
class Span:
    start: int
    end: int
    label: str        # the placeholder, or the moved date
    rank: int
    kind: str = ""    # what found it


@dataclass
class Result:
    text: str
    found: list[Span] = field(default_factory=list)       # on the original text
    replaced: list[tuple[int, int, str]] = field(default_factory=list)   # (start, end, kind) on the output


def _guesses(doc, protected) -> list[Span]:
    """Names and places no model labelled, read from the shape of the sentence."""
    out = []
    toks = [t for t in doc if not t.is_space]
    for n, t in enumerate(toks):
        txt = t.text
        prev = toks[n - 1] if n else None
        after_title = prev is not None and fold(prev.text.rstrip(".")) in TITLES and prev.text[:1].isupper()
        if len(txt) < 2 and not (after_title and txt.isupper()) or not any(c.isalpha() for c in txt) \
                or any(protected[t.idx:t.idx + len(txt)]):
            continue
        nxt = toks[n + 1] if n + 1 < len(toks) else None
        start = (prev is None or prev.text in _OPENERS or t.is_sent_start
                 or "\n" in doc.text[prev.idx + len(prev.text):t.idx])
        cap, word, listed = txt[0].isupper(), is_word(txt, t.lemma_), is_listed_name(txt)
        titled = prev is not None and fold(prev.text.rstrip(".")) in TITLES and not start or (
            prev is not None and fold(prev.text.rstrip(".")) in TITLES and prev.text[0].isupper())
        if txt.isupper() and len(txt) > 1 and txt.isalpha():
            hit = not word or listed
        elif titled and (cap or listed or not word):
            hit = True
        elif cap and not start:
            hit = not (txt.lower() in {"i", "i'm"})
        elif cap:
            nxt_cap = nxt is not None and nxt.text[:1].isupper() and not allow.is_allowed(nxt.text)
            hit = (not word) or listed and (t.pos_ == "PROPN" or nxt_cap or (nxt is not None and (
                nxt.text in ("'s", "’s") or nxt.lower_ in SPEECH)))
        else:
            hit = (not word and listed and len(txt) >= 3) or (titled and not word)
        if hit:
            place = prev is not None and prev.lower_ in PLACE_PREPS and not listed
            out.append(Span(t.idx, t.idx + len(txt), "[place]" if place else "[name]", GUESS_RANK, "shape"))
    return out


def find(text: str, known: KnownNames | None, offset: timedelta, default_year: int,
         day_first: bool = True) -> list[Span]:
    """Every span any layer wants out, before the layers are reconciled."""
    folded = fold(text)
    protected, numbers = bytearray(len(text)), bytearray(len(text))
    words, scores = allow.protected_ranges(text, folded)
    for s, e in words + scores:
        protected[s:e] = b"\x01" * (e - s)
    for s, e in scores:
        numbers[s:e] = b"\x01" * (e - s)
    spans = [Span(s, e, ROLE_LABEL[role], 0, "known") for s, e, role in (known.find(text, folded) if known else [])]
    spans += [Span(d.start, d.end, d.text, DATE_RANK, "date")
              for d in find_dates(text, offset, default_year, day_first) if not any(numbers[d.start:d.end])]
    artifacts = nlp_engine().process_text(text, "en")
    for r in analyzer().analyze(text, "en", nlp_artifacts=artifacts, regex_flags=regex.M | regex.S,
                                score_threshold=0.05):
        if r.entity_type in ENTITY:
            label, rank = ENTITY[r.entity_type]
            words = [w for w in re.findall(r"[^\W\d_]+", text[r.start:r.end]) if len(w) > 1]
            if rank == 5 and not words:
                continue  # the model calling "12" a person
            if rank == 5 and all(is_listed_name(w) or not is_word(w) for w in words):
                label = "[name]"
            spans.append(Span(r.start, r.end, label, rank, r.entity_type))
    spans += _guesses(artifacts.tokens, protected)
    return [_trim(s, text, protected) for s in spans if s.rank == 0 or s.kind == "date" or _trim(s, text, protected)]


def _trim(s: Span, text: str, protected: bytearray) -> Span | None:
    """A guess loses its protected (clinical) characters; known names do not."""
    if s.rank == 0 or s.kind == "date":
        return s
    start, end = s.start, s.end
    while start < end and (protected[start] or not text[start].isalnum() and text[start] not in "@+("):
        start += 1
    while end > start and (protected[end - 1] or not text[end - 1].isalnum()):
        end -= 1
    if text[start:end].endswith(("'s", "’s")) and s.label in JOINS:
        end -= 2  # the possessive stays readable: "[name]'s"
    if end <= start or any(protected[start:end]) and s.rank >= 5:
        return None
    if s.rank >= 5 and not any(c.isalpha() for c in text[start:end]):
        return None  # the model calling "12" a person
    return Span(start, end, s.label, s.rank, s.kind)


def deidentify(text: str, known: KnownNames | None = None, offset: timedelta = timedelta(0),
               default_year: int = 2026, day_first: bool = True) -> Result:
    """`text` with every identifier replaced and every date moved by `offset`."""
    if not text:
        return Result("")
    spans = sorted(find(text, known, offset, default_year, day_first),
                   key=lambda s: (s.rank, -(s.end - s.start), s.start))
    owner = [-1] * len(text)
    kept: list[Span] = []
    for s in spans:
        free = [i for i in range(s.start, s.end) if owner[i] < 0]
        if not free or (s.kind == "date" and len(free) < s.end - s.start):
            continue
        # A partly claimed span keeps only its unclaimed runs.
        runs, run = [], [free[0]]
        for i in free[1:]:
            if i == run[-1] + 1:
                run.append(i)
            else:
                runs.append(run)
                run = [i]
        runs.append(run)
        for r in runs:
            piece = text[r[0]:r[-1] + 1]
            if not any(c.isalnum() for c in piece):
                continue
            kept.append(Span(r[0], r[-1] + 1, s.label, s.rank, s.kind))
            for i in r:
                owner[i] = len(kept) - 1
    kept.sort(key=lambda s: s.start)
    merged: list[Span] = []
    for s in kept:
        if merged:
            last = merged[-1]
            gap = text[last.end:s.start]
            if last.label in JOINS and s.label in JOINS and re.fullmatch(r"[\s-]*", gap) and "\n" not in gap:
                best = last if last.rank <= s.rank else s
                merged[-1] = Span(last.start, s.end, best.label, best.rank, best.kind)
                continue
        merged.append(s)
    out, replaced, pos = [], [], 0
    for s in merged:
        out.append(text[pos:s.start])
        here = sum(len(p) for p in out)
        out.append(s.label)
        replaced.append((here, here + len(s.label), "date" if s.kind == "date" else "removed"))
        pos = s.end
    out.append(text[pos:])
    return Result("".join(out), merged, replaced)
