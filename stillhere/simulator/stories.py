"""The four acceptance stories of DESIGN.md as concrete client histories.

Each story is placed relative to an anchor day (`today`), so the demo can show
each client at the moment that matters and tests can replay it with `--as-of`.
The rows use the generic import schema, like the simulator's, so the same
loaders and importers read them. Names and details are our own invention.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pandas as pd

STORY_IDS = ("story-letter", "story-quiet", "story-first", "story-too-much")


@dataclass
class _Story:
    client: dict
    episode_start: date
    visits: list = field(default_factory=list)   # (date, hour, status, late, marker, srs)


def _client(cid, first, last, pronouns, **extra):
    base = {
        "client_id": cid, "first_name": first, "last_name": last, "preferred_name": "",
        "pronouns": pronouns, "birth_date": None, "email": f"{cid}@example.org",
        "phone": "+15555550100", "address_line1": "12 Willow Way", "address_line2": "",
        "city": "Fairhaven", "region": "", "postal_code": "04021", "country": "GB",
        "consent_email": False, "consent_sms": False, "consent_voicemail": False,
        "consent_letter": False, "do_not_contact": False, "safety_concern": False, "style_flags": "",
    }
    base.update(extra)
    return base


def _weekly(first: date, n: int, every: int = 7):
    return [first + timedelta(days=every * i) for i in range(n)]


def letter_that_opened_a_door(today: date) -> _Story:
    """Several weeks of weekly work, then a no-show four days ago, no word since."""
    missed = today - timedelta(days=4)
    dates = _weekly(missed - timedelta(weeks=7), 7)
    s = _Story(_client("story-letter", "Dana", "Whitfield", "she/her", consent_email=True,
                       consent_voicemail=True, consent_letter=True, style_flags="conflict_avoidant"),
               dates[0])
    s.visits = [(d, 10, "attended", 0, "", 36 + (i % 3)) for i, d in enumerate(dates)]
    s.visits.append((missed, 10, "no_show", 0, "", None))
    return s


def quiet_goodbye(today: date) -> _Story:
    """Years of fortnightly sessions with the odd no-show he always came back
    from; five weeks ago he cancelled and has not rebooked."""
    cancelled = today - timedelta(weeks=5)
    dates = _weekly(cancelled - timedelta(weeks=2 * 60), 60, every=14)
    s = _Story(_client("story-quiet", "Marcus", "Ellery", "he/him", consent_voicemail=True,
                       consent_letter=True, style_flags="avoidant"), dates[0])
    s.visits = [(d, 17, "no_show" if i % 11 == 7 else "attended", 0, "", 37 if i % 11 != 7 else None)
                for i, d in enumerate(dates)]
    s.visits.append((cancelled, 17, "cancelled", 0, "", None))
    return s


def first_session_went_wrong(today: date) -> _Story:
    """An intake reached with twenty minutes left, a disclosure at the very end,
    and a no-show at the second session three days ago."""
    intake = today - timedelta(days=10)
    s = _Story(_client("story-first", "Jordan", "Reyes", "they/them", consent_sms=True,
                       consent_voicemail=True), intake)
    s.visits = [(intake, 15, "attended", 30, "hard_session", 33),
                (today - timedelta(days=3), 15, "no_show", 0, "", None)]
    return s


def too_much_too_soon(today: date) -> _Story:
    """Weekly sessions; a hard session eight days ago with the alliance score
    falling, then a no-show yesterday."""
    hard = today - timedelta(days=8)
    dates = _weekly(hard - timedelta(weeks=6), 7)
    s = _Story(_client("story-too-much", "Priya", "Natarajan", "she/her", consent_voicemail=True,
                       consent_email=True, style_flags="people_pleasing"), dates[0])
    s.visits = [(d, 12, "attended", 0, "hard_session" if d == hard else "", 31 if d == hard else 38)
                for d in dates]
    s.visits.append((today - timedelta(days=1), 12, "no_show", 0, "", None))
    return s


STORIES = (letter_that_opened_a_door, quiet_goodbye, first_session_went_wrong, too_much_too_soon)


def story_frames(today: date, clinician: str, tz: str = "Europe/London") -> dict[str, pd.DataFrame]:
    """The four stories as clients / episodes / appointments / measures frames."""
    clients, episodes, appts, measures = [], [], [], []
    for story_fn in STORIES:
        s = story_fn(today)
        cid = s.client["client_id"]
        clients.append(s.client)
        episodes.append({"episode_id": f"{cid}-1", "client_id": cid, "clinician": clinician,
                         "started": s.episode_start, "ended": None, "end_reason": "",
                         "previous_episode_id": 0})
        n = 0
        for i, (d, hour, status, late, marker, srs) in enumerate(s.visits):
            start = pd.Timestamp(datetime.combine(d, time(hour))).tz_localize(tz).tz_convert("UTC")
            n += status == "attended"
            appts.append({
                "appointment_id": f"{cid}-{i + 1}", "client_id": cid, "episode_id": f"{cid}-1",
                "clinician": clinician, "start": start, "status": status,
                "booked_at": start - pd.Timedelta(days=7), "duration_min": 50, "late_minutes": late,
                "cancelled_at": start - pd.Timedelta(days=2) if status == "cancelled" else pd.NaT,
                "session_type": "intake" if i == 0 else "session", "marker": marker,
                "session_number": n if status == "attended" else 0,
            })
            if srs is not None:
                measures.append({"client_id": cid, "date": d, "instrument": "SRS", "total": float(srs)})
    return {
        "clinicians": pd.DataFrame({"clinician": [clinician], "name": [""]}),
        "clients": pd.DataFrame(clients),
        "episodes": pd.DataFrame(episodes),
        "appointments": pd.DataFrame(appts),
        "measures": pd.DataFrame(measures),
    }


def write_story_csv(out: Path, today: date, clinician: str, tz: str = "Europe/London") -> Path:
    """The four stories as the generic CSV import files, in `out`."""
    from .write import write_csv

    frames = story_frames(today, clinician, tz)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_csv(out, frames["clients"], frames["appointments"], frames["measures"], tz)
    return out
