"""The consultation summary: the structured facts of an ending plus the
clinician's reflection, with anything that could identify a person taken
out by the PHI filter (`stillhere.reflection.phi`).

The structured part speaks in weeks since the start and never names
anyone; the free text goes through every layer of the filter with one date
offset for the whole summary, so intervals between dates still read true.
The author reads the result, with what might still identify marked, before
sharing it: a machine can miss what a person would recognise.
"""

import random
from datetime import timedelta

from .facts import EndingFacts
from .phi import deidentify, for_client


def consultation_summary(reflection, facts: EndingFacts, rng: random.Random | None = None) -> str:
    rng = rng or random.SystemRandom()
    offset = timedelta(days=rng.choice([-1, 1]) * rng.randint(30, 90))
    ep = reflection.episode
    R = type(reflection)
    lines = ["Consultation summary (de-identified)", ""]
    who = "A client" + (f" {facts.age_band}" if facts.age_band else "")
    weeks = ((facts.ended or facts.last_sessions[-1].on if facts.last_sessions else facts.started)
             - facts.started).days // 7 + 1
    lines.append(f"{who}; {facts.attended} session{'s' if facts.attended != 1 else ''} attended and "
                 f"{facts.missed} missed over about {weeks} week{'s' if weeks != 1 else ''}; the episode ended "
                 "without goodbye.")
    if facts.style_flags:
        lines.append(f"Noted style: {', '.join(facts.style_flags)}.")
    lines += ["", "The last sessions:"]
    for s in facts.last_sessions:
        bits = [f"week {s.week}", s.status_label.lower()]
        if s.number:
            bits.append(f"session {s.number}")
        if s.minutes_late:
            bits.append(f"{s.minutes_late} min late")
        bits += [m.lower() for m in s.markers]
        if s.alliance is not None:
            bits.append(f"session rating {s.alliance:g}")
        lines.append("- " + ", ".join(bits))
    if facts.outreach:
        lines += ["", "Outreach afterwards: " + "; ".join(f"day {d}: {ch} ({what})" for d, ch, what in facts.outreach)
                  + (". The client replied." if facts.replied else ". No reply.")]
    lines += ["", "The clinician's reflection:"]
    sections = [
        ("The last sessions", reflection.last_sessions, ""),
        ("Emotional safety", reflection.safety_note, R.Safety(reflection.safety).label if reflection.safety else ""),
        ("Ruptures", reflection.ruptures,
         R.Named(reflection.rupture_named).label if reflection.rupture_named else ""),
        ("Progress and value", reflection.progress_note,
         R.Progress(reflection.progress).label if reflection.progress else ""),
        ("Another approach or a referral", reflection.other_fit_note,
         R.Fit(reflection.other_fit).label if reflection.other_fit else ""),
        ("What I would do differently", reflection.differently, ""),
    ]
    known = for_client(ep.client, ep.practice)
    year = (ep.ended or ep.started).year
    day_first = not ep.practice.timezone.startswith("America/")
    for title, text, choice in sections:
        body = deidentify(text, known, offset, year, day_first).text
        if choice or body:
            lines.append(f"{title}: " + " ".join(p for p in (choice + "." if choice else "", body) if p))
    return "\n".join(lines).strip() + "\n"
