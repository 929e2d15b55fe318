"""Episodes read from the history when the record has no episode ids.

Many exports list appointments only. A client who stopped coming in March and
books again in August is, to a clinician, someone who left and came back: the
first course of therapy ended without goodbye, and a new one began. Kept in
one episode, the return is invisible ("returned" never shows) and the
practice's dropout figures never count the first ending.

So after the writer has placed an import's appointments (and before episode
start dates and session numbers are worked out), each open episode it
touched that has no episode id of its own is read in order: an appointment
`Practice.long_silence_days` (default 120) or more after the last attended
session, with nothing booked between, starts a new episode there, linked to
the earlier one, in the state `returned` (the same as a return after a
planned ending, writer.py `_create_pending`). The earlier episode ends on the
day of its last session, without goodbye, through the one recorded state
change (engagement/transitions.py, source "import"), with the reason in words:
"No session for 4 months after 3 Mar 2026; inferred from the record". When
that last session was a final session, the ending was planned, and is
recorded so ("Final session on 3 Mar 2026: ended as planned"), as the scan
would have before the return was imported.

"Nothing booked between" means no word from the client in the gap: the
silence runs from the last contact (the last attended session, or a later
booking or cancellation; a missed session is no word) to the first sign of
the return (the later appointment's booking when the record has it: a
follow-up booked months ahead is a planned pause), and no planned break
overlaps it (`_splits`).

An explicit episode id always wins: episodes that carry one (or were made by
a person, who gives one) are never split, and an ended episode is left as
its ending says. Re-importing the same file finds no gap left to split, so it
changes nothing; a split is never joined back.

Cost: one window query per chunk of episodes picks the few with a long gap
after an attended session (as renumber_sessions does); only those are read
row by row (bench/long_silence.py).
"""

from datetime import date, timedelta

from django.db import connection
from django.utils import timezone

from stillhere.clients.models import Appointment, Episode
from stillhere.engagement.models import PlannedBreak, StateChange
from stillhere.measures.models import MeasureResult

CHUNK = 500
REASON = "long_silence"   # the StateChange's code; its words are in `detail`


def span_words(days: int) -> str:
    """A silence as a clinician would say it: "5 weeks", "4 months", "2 years"."""
    if days < 60:
        n, unit = days // 7, "week"
    elif days < 730:
        n, unit = int(days / 30.44), "month"
    else:
        n, unit = int(days / 365.25), "year"
    return f"{n} {unit}{'s' if n != 1 else ''}"


def reason_words(last_day: date, next_day: date) -> str:
    return (f"No session for {span_words((next_day - last_day).days)} after {last_day:%-d %b %Y}; "
            f"inferred from the record (a new episode began on {next_day:%-d %b %Y})")


def _candidates(episode_ids, days: int) -> list[int]:
    """Episodes among these with an appointment at least `days - 1` days
    (a day's slack for time zones; checked exactly afterwards) after the
    last attended one before it."""
    t = connection.ops.quote_name(Appointment._meta.db_table)
    marks = ", ".join(["%s"] * len(episode_ids))
    if connection.vendor == "postgresql":
        gap = "g.start >= g.last_attended + %s * INTERVAL '1 day'"
    else:
        gap = "julianday(g.start) - julianday(g.last_attended) >= %s"
    sql = (f"SELECT DISTINCT g.episode_id FROM (SELECT episode_id, start, "
           f"MAX(CASE WHEN status = %s THEN start END) OVER (PARTITION BY episode_id ORDER BY start, id "
           f"ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS last_attended "
           f"FROM {t} WHERE episode_id IN ({marks})) AS g WHERE g.last_attended IS NOT NULL AND {gap}")
    with connection.cursor() as cur:
        cur.execute(sql, [Appointment.Status.ATTENDED, *episode_ids, days - 1])
        return [r[0] for r in cur.fetchall()]


def _contact(a: dict):
    """When an appointment in a silence says the client was in touch, or None.
    A missed session is no word from them (leaving without goodbye often
    starts with one): only its booking, when the record has it, counts. A
    cancellation counts when it was made (or its day); anything else (a
    session still marked scheduled, a rescheduled or clinician-cancelled one)
    counts on its day."""
    S = Appointment.Status
    if a["status"] == S.NO_SHOW:
        return a["booked_at"]
    if a["status"] in (S.CANCELLED, S.LATE_CANCEL) and a["cancelled_at"]:
        return a["cancelled_at"]
    return a["start"]


def _splits(appts: list[dict], breaks: list[tuple[date, date]], days: int, tz) -> list[tuple[dict, dict]]:
    """(last attended appointment, first appointment after the silence) for
    each long silence in one episode's appointments, in order.

    The silence runs from the last contact (the last attended session, or a
    later booking or cancellation) to the first sign of the return (the
    later appointment's booking, when the record has it, else its day): a
    follow-up booked months ahead is a planned pause, not a silence. An
    agreed break overlapping it is no silence either."""
    out, last, contact = [], None, None
    for a in appts:
        day = a["start"].astimezone(tz).date()
        if last is not None:
            begin = min(a["start"], a["booked_at"]) if a["booked_at"] else a["start"]
            since = contact.astimezone(tz).date()
            if ((begin.astimezone(tz).date() - since).days >= days
                    and not any(s <= day and e >= since for s, e in breaks)):
                out.append((last, a))
                last = None   # the next split needs a session attended in the new episode
        if a["status"] == Appointment.Status.ATTENDED:
            last, contact = a, a["start"]
        elif last is not None and (c := _contact(a)) is not None:
            contact = max(contact, c)
    return out


def infer_returns(writer, episode_ids) -> list[int]:
    """Split the touched episodes at each long silence; returns the ids of the
    new episodes (the writer then works out their start and session numbers)."""
    p = writer.p
    days, tz = p.long_silence_days, p.tz
    ids = sorted(i for i in episode_ids if i)
    created = []
    for i in range(0, len(ids), CHUNK):
        open_ = list(Episode.objects.filter(pk__in=ids[i:i + CHUNK], external_id="", ended=None)
                     .values_list("pk", flat=True))
        for ep_id in (_candidates(open_, days) if open_ else []):
            created += _split_episode(writer, Episode.objects.get(pk=ep_id), days, tz)
    if created:
        writer.report.count("episodes", "created", len(created))
        writer.report.returns_inferred += len(created)
    return created


def _split_episode(writer, episode: Episode, days: int, tz) -> list[int]:
    from stillhere.engagement.transitions import change_state
    from stillhere.outreach.sequences import stop_sequences

    appts = list(Appointment.objects.filter(episode=episode).order_by("start", "id")
                 .values("id", "start", "status", "booked_at", "cancelled_at", "duration_min", "session_type"))
    breaks = list(PlannedBreak.objects.filter(episode=episode).values_list("starts", "ends"))
    splits = _splits(appts, breaks, days, tz)
    if not splits or Episode.objects.filter(previous=episode).exists():
        return []
    now = timezone.now()
    created = []
    old = episode
    for last, first in splits:
        last_day, first_day = last["start"].astimezone(tz).date(), first["start"].astimezone(tz).date()
        new = Episode.objects.create(practice_id=old.practice_id, client_id=old.client_id,
                                     clinician_id=old.clinician_id, started=first_day, previous=old,
                                     state=Episode.State.RETURNED)
        Appointment.objects.filter(episode=old, start__gte=first["start"]).update(episode=new, updated=now)
        MeasureResult.objects.filter(episode=old, taken_on__gte=first_day).update(episode=new)
        PlannedBreak.objects.filter(episode=old, starts__gte=first_day).update(episode=new)
        # The end is the last session's day, whatever day this import runs;
        # a final session before the silence was a planned ending.
        if last["session_type"] == Appointment.SessionType.FINAL:
            state, reason, why = (Episode.State.ENDED_PLANNED, Episode.EndReason.PLANNED,
                                  f"Final session on {last_day:%-d %b %Y}: ended as planned")
        else:
            state, reason, why = (Episode.State.ENDED_NO_GOODBYE, REASON, reason_words(last_day, first_day))
        end_reason = Episode.EndReason.PLANNED if state == Episode.State.ENDED_PLANNED else Episode.EndReason.NO_GOODBYE
        Episode.objects.filter(pk=old.pk).update(ended=max(last_day, old.started), end_reason=end_reason)
        old.ended, old.end_reason = max(last_day, old.started), end_reason
        ended_at = last["start"] + timedelta(minutes=last["duration_min"] or 0)
        change_state(old, state, reason, detail=why, at=min(ended_at, now), source=StateChange.Source.IMPORT)
        stop_sequences(old, "the client came back after a long silence, in a new episode", now)
        _remember(writer, old, new)
        created.append(new.pk)
        old = new
    return created


def _remember(writer, old: Episode, new: Episode) -> None:
    """Keep the writer's own picture of the client's episodes in step."""
    e = writer.episode_by_id.get(old.pk)
    if e is not None:
        e["ended"], e["end_reason"] = old.ended, old.end_reason
    writer._remember_episode({"id": new.pk, "external_id": "", "client_id": new.client_id,
                              "clinician_id": new.clinician_id, "started": new.started, "ended": None,
                              "previous_id": old.pk})
    writer.touched.add(new.pk)
    writer.changed.update((old.pk, new.pk))
