"""Questions to sit with, drawn from what the record shows.

The review's fixed sections come from DESIGN.md; these prompts point at the
particular facts of this ending (a late arrival at a first session, a hard
session, a falling alliance rating) so the clinician looks at them rather
than at a blank page. They are questions, never verdicts.
"""

from .facts import EndingFacts


def prompts(f: EndingFacts) -> list[str]:
    out = []
    attended = [s for s in f.last_sessions if s.status == "attended"]
    if f.attended <= 2:
        out.append("They left within the first sessions, when leaving is most common. What did they hope "
                   "therapy would be, and did the first meeting show them that?")
    late = [s for s in attended if s.minutes_late >= 15]
    if late:
        s = late[-1]
        out.append(f"They arrived {s.minutes_late} minutes late in week {s.week}. How did you pace that "
                   "shortened session, and were you able to be fully present in the time left?")
    hard = [s for s in f.last_sessions if "Hard session" in s.markers or "Rupture noticed" in s.markers]
    if hard:
        out.append(f"You marked week {hard[-1].week} as hard. What was opened up then, and was there time "
                   "to settle it before they left the room?")
    rated = [s.alliance for s in attended if s.alliance is not None]
    if len(rated) >= 2 and rated[-1] < max(rated[:-1]) - 1:
        out.append(f"Their session rating fell to {rated[-1]:g} (from {max(rated[:-1]):g}). Did you notice "
                   "it at the time, and was there a chance to ask what felt off?")
    if f.missed >= 2:
        out.append(f"There were {f.missed} missed sessions in this episode. Was the pattern ever talked about "
                   "together, without blame?")
    if "conflict-avoidant" in f.style_flags or "people-pleasing" in f.style_flags:
        out.append("You noted they tend to avoid conflict or to please. Might they have found it hard to tell "
                   "you something was not working?")
    if not f.replied and f.outreach:
        out.append("The outreach went unanswered. Is there anything you would say differently in a first "
                   "message next time?")
    return out
