"""Sessions whose outcome is not recorded yet: past, still "scheduled".

An export that lags, or a session not written up: for the practice's
`outcome_days` the scan treats such a slot as unknown, neither a miss nor a
booking (rules.py). The inbox asks the clinician what happened in that time,
once per episode (its latest such session), with a link to the session
page where the outcome is recorded.
"""

from datetime import datetime, timedelta

from django.db.models import Max

from stillhere.clients.models import Appointment

TITLE = "Record what happened"


def unrecorded_sessions(eps, practice, now: datetime) -> list[Appointment]:
    """The latest past session still marked scheduled of each of `eps`,
    within the practice's days of waiting for an outcome."""
    since = now - timedelta(days=practice.outcome_days)
    past = Appointment.objects.filter(episode__in=eps, status=Appointment.Status.SCHEDULED,
                                      start__lt=now, start__gte=since)
    latest = past.values("episode_id").annotate(m=Max("start")).values_list("episode_id", "m")
    wanted = {ep: start for ep, start in latest}
    found = (past.filter(episode_id__in=list(wanted)).select_related("episode__client", "episode__clinician__user")
             .order_by("start", "id"))
    out, seen = [], set()
    for a in found:
        if a.start == wanted[a.episode_id] and a.episode_id not in seen:
            seen.add(a.episode_id)
            out.append(a)
    return out


def unrecorded_items(member, eps, now: datetime, make_item, group) -> list:
    """Inbox items (built by `make_item`, inbox.Item) for the member's sessions awaiting an outcome."""
    tz = member.practice.tz
    out = []
    for a in unrecorded_sessions(eps, member.practice, now):
        when = a.start.astimezone(tz)
        until = (a.start + timedelta(days=member.practice.outcome_days)).astimezone(tz)
        out.append(make_item(
            group, a.episode, TITLE,
            f"The session on {when:%a %-d %b} at {when:%H:%M} has no outcome yet. Until {until:%a %-d %b} it "
            "counts as neither attended nor missed, and no outreach starts.",
            a.start, "Record whether they came", url=f"/clients/{a.episode.client.code}/sessions/{a.pk}/",
            due=a.start))
    return out
