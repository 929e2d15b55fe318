"""A clinician's day: each session booked today, with the client's state,
dropout risk and whether a check-in is due, in a fixed handful of queries."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.utils import timezone

from stillhere.accounts.permissions import visible_episodes
from stillhere.measures.checkins import checkin_statuses

from .models import Appointment


@dataclass
class TodayRow:
    appointment: Appointment
    risk_band: str
    risk_reasons: list
    checkin_due: bool
    checkin_reason: str

    @property
    def client(self):
        return self.appointment.episode.client

    @property
    def episode(self):
        return self.appointment.episode


def todays_sessions(membership, now=None) -> list[TodayRow]:
    now = now or timezone.now()
    tz = membership.practice.tz
    day = now.astimezone(tz).date()
    start, end = datetime.combine(day, time(0), tz), datetime.combine(day + timedelta(days=1), time(0), tz)
    eps = visible_episodes(membership)
    if membership.sees_whole_practice and membership.role != membership.Role.CLINICIAN:
        # A director's "today" is their own sessions if they hold any, else the practice's.
        own = eps.filter(clinician=membership)
        eps = own if own.exists() else eps
    appts = list(Appointment.objects.filter(episode__in=eps, start__gte=start, start__lt=end)
                 .exclude(status__in=(Appointment.Status.CANCELLED, Appointment.Status.CLINICIAN_CANCELLED,
                                      Appointment.Status.RESCHEDULED))
                 .select_related("episode__client", "episode__clinician__user", "episode__current_risk")
                 .order_by("start"))
    ep_ids = {a.episode_id for a in appts}
    checks = checkin_statuses(eps.filter(id__in=ep_ids), now, membership.practice) if ep_ids else {}
    rows = []
    for a in appts:
        risk = getattr(a.episode, "current_risk", None)
        c = checks.get(a.episode_id)
        rows.append(TodayRow(a, risk.get_band_display() if risk else "", risk.reasons[:2] if risk else [],
                             bool(c and c.due), c.reason(tz) if c else ""))
    return rows
