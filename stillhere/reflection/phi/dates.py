"""Layer 4: dates found in every common written form and moved together.

One offset per summary moves every date by the same number of days, so
the intervals a consultant needs ("three weeks after the rupture") stay
true while the real dates go. A weekday written with a date is recomputed
for the moved date ("Thursday 24 Oct" can never come out as a Saturday).
A weekday on its own ("next Tuesday", "on Mondays") says nothing about
when, and stays. Numeric dates are read day-first unless the practice is
month-first (US) or only one reading is possible ("3/14").
"""

import regex as re  # variable-width look-behind ("since May")
from dataclasses import dataclass
from datetime import date, timedelta

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_MON = {m[:3].lower(): i + 1 for i, m in enumerate(MONTHS)}
M = r"(?P<mon>jan(?:uary|\.)?|feb(?:ruary|\.)?|mar(?:ch|\.)?|apr(?:il|\.)?|may|june?|july?|aug(?:ust|\.)?|" \
    r"sept?(?:ember|\.)?|oct(?:ober|\.)?|nov(?:ember|\.)?|dec(?:ember|\.)?)"
WD = r"(?:(?P<wd>mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s+(?:the\s+)?)?"
D = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
Y = r"(?P<year>(?:19|20)\d\d|'\d\d)"
_B, _E = r"(?<![\w/.-])", r"(?![\w/]|[.-]\d)"
PATTERNS = [
    ("iso", re.compile(_B + WD + r"(?P<year>(?:19|20)\d\d)-(?P<m>[01]?\d)-(?P<day>[0-3]?\d)" + _E, re.I)),
    ("num", re.compile(_B + WD + r"(?P<a>[0-3]?\d)(?P<sep>[/.-])(?P<b>[01]?\d)(?P=sep)(?P<year>(?:19|20)?\d\d)" + _E,
                       re.I)),
    ("dm", re.compile(_B + WD + r"(?:the\s+)?" + D + r"(?:\s+of)?\s+" + M + r"(?:,?\s+" + Y + r")?\b", re.I)),
    ("md", re.compile(_B + WD + M + r"\s+(?:the\s+)?" + D + r"(?:,?\s+" + Y + r")?\b", re.I)),
    ("my", re.compile(_B + r"(?:(?P<mid>early|mid|late|end of|start of|beginning of)[- ]+)?" + M + r",?\s+"
                      r"(?P<year>(?:19|20)\d\d)\b", re.I)),
    ("num2", re.compile(_B + WD + r"(?P<a>[0-3]?\d)/(?P<b>[0-3]?\d)" + _E, re.I)),
    # A month alone after a word that makes it a time ("in March", "since May").
    ("mon", re.compile(r"(?<=\b(?:in|since|until|till|by|during|of|before|after|early|mid|late|last|next|this|"
                       r"from|through|over)\s)" + M + r"\b(?![- ]\d)", re.I)),
]


@dataclass
class Found:
    start: int
    end: int
    text: str  # what replaces it


def _year(raw: str | None, default: int) -> int:
    if not raw:
        return default
    raw = raw.lstrip("'")
    return int(raw) + 2000 if len(raw) == 2 else int(raw)


def _fmt(d: date, weekday: bool, with_year: bool, with_day: bool = True) -> str:
    s = f"{d.day} {MONTHS[d.month - 1][:3]}" if with_day else MONTHS[d.month - 1]
    if weekday:
        s = f"{DAYS[d.weekday()]} {s}"
    return f"{s} {d.year}" if with_year else s


def find_dates(text: str, offset: timedelta, default_year: int, day_first: bool = True) -> list[Found]:
    """Every date in `text` with its moved form; spans do not overlap."""
    out: list[Found] = []
    taken: list[tuple[int, int]] = []
    for kind, rx in PATTERNS:
        for m in rx.finditer(text):
            s, e = m.span()
            if any(s < te and ts < e for ts, te in taken):
                continue
            g = m.groupdict()
            wd = bool(g.get("wd"))
            try:
                if kind == "iso":
                    d, has_year = date(int(g["year"]), int(g["m"]), int(g["day"])), True
                elif kind in ("num", "num2"):
                    a, b = int(g["a"]), int(g["b"])
                    if kind == "num2" and (a == 0 or b == 0):
                        continue
                    day, mon = (a, b) if (day_first and b <= 12) or a > 12 else (b, a)
                    has_year = kind == "num"
                    d = date(_year(g.get("year"), default_year), mon, day)
                elif kind in ("dm", "md"):
                    has_year = bool(g.get("year"))
                    d = date(_year(g.get("year"), default_year), _MON[g["mon"][:3].lower()], int(g["day"]))
                elif kind == "my":
                    moved = date(int(g["year"]), _MON[g["mon"][:3].lower()], 15) + offset
                    lead = (g["mid"] + " ") if g.get("mid") else ""
                    if lead and m.group()[len(g["mid"])] == "-":
                        lead = g["mid"] + "-"
                    out.append(Found(s, e, lead + _fmt(moved, False, True, with_day=False)))
                    taken.append((s, e))
                    continue
                else:  # a month alone
                    if m.group()[0].islower() and g["mon"].lower() == "may":
                        continue  # "may" the verb
                    if g["mon"][0].islower():
                        continue
                    moved = date(default_year, _MON[g["mon"][:3].lower()], 15) + offset
                    out.append(Found(s, e, MONTHS[moved.month - 1]))
                    taken.append((s, e))
                    continue
            except ValueError:
                if kind == "num2":
                    continue
                out.append(Found(s, e, "[date]"))
                taken.append((s, e))
                continue
            out.append(Found(s, e, _fmt(d + offset, wd, has_year)))
            taken.append((s, e))
    return sorted(out, key=lambda f: f.start)
