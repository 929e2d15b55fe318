"""Check-in reminders: check in before they check out.

A session "counts as a check-in" when the client gave an alliance rating
(SRS or a practice's own alliance instrument) or the clinician marked a
progress conversation (a SessionMarker of kind `checkin`). After N attended
sessions without one (the practice's interval, default 4, or a shorter one
the clinician set for this client), the clinician is reminded before the
next session.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Min, Q

from stillhere.clients.models import Appointment, SessionMarker

from .custom import config_for
from .instruments import ALLIANCE
from .models import CheckinInterval, MeasureResult


@dataclass(frozen=True)
class CheckinStatus:
    every: int                    # the interval that applies to this client
    own_interval: bool            # set for this client rather than the practice default
    since: int                    # attended sessions since the last check-in
    last_checked: date | None
    next_session: datetime | None

    @property
    def due(self) -> bool:
        return self.since >= self.every

    def reason(self, tz=None) -> str:
        if not self.due:
            return ""
        n = f"{self.since} session" + ("" if self.since == 1 else "s")
        if self.last_checked is None:
            text = f"No alliance rating or progress check-in yet, {n} in."
        else:
            text = (f"No alliance rating or progress check-in for {n} (the last was on "
                    f"{self.last_checked.day} {self.last_checked:%b %Y}).")
        if self.next_session is not None:
            when = self.next_session.astimezone(tz) if tz else self.next_session
            text += f" Plan one for the next session, {when:%a} {when.day} {when:%b} at {when:%H:%M}."
        else:
            text += " Plan one for the next session."
        return text


def sessions_since_check(sessions) -> tuple[int, date | None]:
    """Attended sessions since the last check-in, oldest first as (day, checked)."""
    since, last = 0, None
    for day, checked in sessions:
        if checked:
            since, last = 0, day
        else:
            since += 1
    return since, last


def checkin_statuses(episodes, now: datetime, practice, cfg=None) -> dict[int, CheckinStatus]:
    """CheckinStatus per episode id, in a fixed handful of queries however many
    episodes (`cfg`: the practice's measures settings, when the caller has read them)."""
    cfg = cfg or config_for(practice)
    alliance_codes = [i.code for i in cfg.registry if i.kind == ALLIANCE]
    eps = list(episodes.annotate(next_session=Min("appointments__start", filter=Q(
        appointments__status=Appointment.Status.SCHEDULED, appointments__start__gte=now)))
        .values("id", "client_id", "next_session"))
    ep_ids = [e["id"] for e in eps]
    client_ids = {e["client_id"] for e in eps}
    attended = (Appointment.objects.filter(episode_id__in=ep_ids, status=Appointment.Status.ATTENDED,
                                           start__lt=now).order_by("start").values_list("id", "episode_id", "start"))
    marked = set(SessionMarker.objects.filter(appointment__episode_id__in=ep_ids, kind=SessionMarker.Kind.CHECKIN)
                 .values_list("appointment_id", flat=True))
    rated_appts, rated_days = set(), set()
    for appt_id, client_id, day in (MeasureResult.objects.filter(client_id__in=client_ids,
                                                                  instrument__in=alliance_codes)
                                    .values_list("appointment_id", "client_id", "taken_on")):
        if appt_id:
            rated_appts.add(appt_id)
        rated_days.add((client_id, day))
    own = dict(CheckinInterval.objects.filter(client_id__in=client_ids).values_list("client_id", "every_sessions"))

    client_of = {e["id"]: e["client_id"] for e in eps}
    tz = practice.tz
    sessions: dict[int, list] = {i: [] for i in ep_ids}
    for appt_id, ep_id, start in attended:
        day = start.astimezone(tz).date()
        checked = appt_id in marked or appt_id in rated_appts or (client_of[ep_id], day) in rated_days
        sessions[ep_id].append((day, checked))
    out = {}
    for e in eps:
        since, last = sessions_since_check(sessions[e["id"]])
        every = min(own.get(e["client_id"], cfg.checkin_every), cfg.checkin_every)
        out[e["id"]] = CheckinStatus(every=every, own_interval=e["client_id"] in own, since=since,
                                     last_checked=last, next_session=e["next_session"])
    return out


def due_checkins(membership, now: datetime, within: timedelta = timedelta(days=7)) -> list[tuple]:
    """(episode, status) for the member's open episodes with a session booked
    within `within` that is due a check-in, soonest session first."""
    from stillhere.accounts.permissions import visible_episodes

    mine = visible_episodes(membership)
    booked = Appointment.objects.filter(status=Appointment.Status.SCHEDULED, start__gte=now, start__lt=now + within)
    soon = mine.filter(ended__isnull=True, id__in=booked.values("episode_id"))
    statuses = checkin_statuses(soon, now, membership.practice)
    due = [i for i, s in statuses.items() if s.due]
    episodes = {e.pk: e for e in mine.filter(pk__in=due).select_related("client")}
    rows = [(episodes[i], statuses[i]) for i in due]
    return sorted(rows, key=lambda r: r[1].next_session)
