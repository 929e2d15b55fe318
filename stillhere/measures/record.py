"""Storing one result: the call every entry path makes (web form, import, API).

Scoring happens here too, so nothing reaches the database unvalidated, and
the result is tied to the session it was taken in (by date, when the caller
does not say) so check-in reminders and the client timeline can find it.
"""

from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from stillhere.audit.events import MeasureRecorded, record
from stillhere.clients.models import Appointment, Client, Episode

from .custom import registry_for
from .instruments import population_at
from .models import MeasureResult
from .scoring import ScoringError, score


def local_today(practice) -> date:
    return timezone.now().astimezone(practice.tz).date()


def session_on(client: Client, day: date, episodes=None) -> Appointment | None:
    """The client's session on `day` (practice time): an attended one, else one
    still marked scheduled (a rating taken at the end of a session usually
    arrives before the schedule says the client came)."""
    tz = client.practice.tz
    start = datetime.combine(day, time.min, tzinfo=tz)
    qs = Appointment.objects.filter(episode__client=client, start__gte=start, start__lt=start + timedelta(days=1),
                                    status__in=[Appointment.Status.ATTENDED, Appointment.Status.SCHEDULED])
    if episodes is not None:
        qs = qs.filter(episode__in=episodes)
    return qs.select_related("episode").order_by("status", "-start").first()  # "attended" sorts first


def episode_on(client: Client, day: date) -> Episode | None:
    """The episode that was running on `day`, else the latest one started before it."""
    eps = Episode.objects.filter(client=client, started__lte=day).order_by("-started")
    return eps.filter(ended__isnull=True).first() or eps.filter(ended__gte=day).first() or eps.first()


@transaction.atomic
def record_result(client: Client, instrument: str, items=None, total=None, *, taken_on: date | None = None,
                  taken_at: datetime | None = None, appointment: Appointment | None = None,
                  source: str = "manual", external_id: str = "", actor=None, registry=None,
                  audit: bool = True, rescan: bool = True) -> MeasureResult:
    """Validate, score and store one result; returns the MeasureResult with
    its `score` (total, band, flags) and `created` attached.

    Raises ScoringError for bad answers, and ValueError when the appointment
    or external id belongs to another client. With an `external_id` already
    stored, the row is updated in place, so re-importing a file is harmless.
    Importers writing many rows pass `registry=registry_for(practice)` once
    and `audit=False`, and record one event for the whole import; they pass
    `rescan=False` too and rescan the clients once at the end (the single
    result a page or the API records rescans its client at once:
    engagement/rescan.py).
    """
    practice = client.practice
    if appointment is not None and appointment.episode.client_id != client.pk:
        raise ValueError("That appointment belongs to another client.")
    if taken_on is None:
        taken_on = (appointment.start.astimezone(practice.tz).date() if appointment is not None
                    else local_today(practice))
    reg = registry or registry_for(practice)
    scored = score(instrument, items=items, total=total, registry=reg,
                   population=population_at(client.birth_date, taken_on))
    if appointment is None:
        appointment = session_on(client, taken_on)
    episode = appointment.episode if appointment is not None else episode_on(client, taken_on)
    fields = dict(client=client, episode=episode, appointment=appointment, instrument=scored.instrument,
                  taken_on=taken_on, taken_at=taken_at, total=scored.total,
                  items=list(scored.items) if scored.items is not None else None, source=source)
    created = True
    row = None
    if external_id:
        row = MeasureResult.objects.select_for_update().filter(practice=practice, external_id=external_id).first()
        if row is not None and row.client_id != client.pk:
            raise ValueError("That measure id is already used for another client.")
    if row is None:
        row = MeasureResult.objects.create(practice=practice, external_id=external_id, **fields)
    else:
        created = False
        for k, v in fields.items():
            setattr(row, k, v)
        row.save()
    if audit:
        record(MeasureRecorded(practice=practice, actor=actor, client=client, result=row, source=source))
    if rescan:
        from stillhere.engagement.rescan import rescan_clients

        rescan_clients(practice, [client.pk], why="after a questionnaire result was recorded")
    row.score, row.created = scored, created
    return row


__all__ = ["record_result", "ScoringError", "session_on", "episode_on", "local_today"]
