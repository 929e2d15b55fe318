"""What happened before an ending, gathered once for the review page, its
prompts and the de-identified summary."""

from dataclasses import dataclass, field
from datetime import date

from stillhere.clients.models import Appointment, SessionMarker

LAST_N = 6


@dataclass
class Session:
    on: date
    week: int                   # weeks since the episode started, from 1
    status: str
    status_label: str
    number: int | None
    minutes_late: int
    markers: list[str] = field(default_factory=list)
    alliance: float | None = None


@dataclass
class EndingFacts:
    started: date
    ended: date | None
    attended: int
    missed: int
    last_sessions: list[Session]
    alliance: list[tuple[date, float]]
    outreach: list[tuple[int, str, str]]   # (days after the trouble began, channel, what became of it)
    replied: bool
    style_flags: list[str]
    age_band: str


def _age_band(birth: date | None, on: date) -> str:
    if not birth:
        return ""
    age = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    if age < 18:
        return "under 18"
    return f"in their {min(age // 10 * 10, 70)}s" if age < 80 else "80 or older"


def gather(episode) -> EndingFacts:
    from stillhere.measures.models import MeasureResult
    from stillhere.outreach.models import OutreachStep, Reply

    tz = episode.practice.tz
    appts = list(Appointment.objects.filter(episode=episode).order_by("start").prefetch_related("markers"))
    srs = list(MeasureResult.objects.filter(client_id=episode.client_id, instrument="SRS",
                                            taken_on__gte=episode.started)
               .order_by("taken_on").values_list("taken_on", "total"))
    if episode.ended:
        srs = [(d, t) for d, t in srs if d <= episode.ended]
    by_day = {d: float(t) for d, t in srs}
    sessions = []
    for a in appts:
        if a.status in (Appointment.Status.CANCELLED, Appointment.Status.CLINICIAN_CANCELLED,
                        Appointment.Status.RESCHEDULED):
            continue
        day = a.start.astimezone(tz).date()
        sessions.append(Session(on=day, week=(day - episode.started).days // 7 + 1, status=a.status,
                                status_label=a.get_status_display(), number=a.session_number,
                                minutes_late=a.minutes_late,
                                markers=[SessionMarker.Kind(m.kind).label for m in a.markers.all()],
                                alliance=by_day.get(day)))
    steps = list(OutreachStep.objects.filter(episode=episode, status__in=OutreachStep.HANDED_OFF)
                 .select_related("sequence").order_by("due"))
    outreach = []
    for s in steps:
        days = ((s.finished or s.due) - s.sequence.anchor).days
        what = s.get_outcome_display() if s.outcome else s.get_status_display()
        outreach.append((days, s.get_channel_display().lower(), what.lower()))
    return EndingFacts(
        started=episode.started, ended=episode.ended,
        attended=sum(a.status == Appointment.Status.ATTENDED for a in appts),
        missed=sum(a.was_missed for a in appts),
        last_sessions=sessions[-LAST_N:], alliance=[(d, float(t)) for d, t in srs], outreach=outreach,
        replied=Reply.objects.filter(episode=episode).exists(),
        style_flags=[f.replace("_", "-") for f in episode.client.style_flags or []],
        age_band=_age_band(episode.client.birth_date, episode.started),
    )
