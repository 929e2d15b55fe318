"""Score appointments the moment they are booked or changed.

The morning scan refreshes every upcoming appointment's risk, but an
appointment booked at 10:00 for 15:00 the same day would never meet a
morning scan, and a first appointment booked a week ahead should show its
risk now, not tomorrow. So every path that creates or changes appointments
calls `score_bookings` once, after writing them: the import (ingest/service.py,
for CSV, FHIR and calendars, from the CLI or the web), and
`appointment_booked`, the service function the REST API and any future
booking form call.

Only appointments still booked and not yet past are scored: those of today
count even if their time has gone (a date-only appointment sits at local
midnight), since the day is not over.
"""

from datetime import datetime, time

import ibis

from stillhere.features.sources import DAY, from_django

from . import noshow
from .calibration import weights_for


def score_bookings(practice, now: datetime, *, created_after_id: int | None = None, ids=(), src=None) -> list:
    """Score the practice's appointments with an id above `created_after_id`
    (rows just inserted) or in `ids` (rows just changed), as of `now`;
    store and return one NoShowRisk each. `src`: the practice's portable
    sources (noshow.portable) when the caller has them already."""
    from .models import NoShowRisk

    ids = list(ids)
    if created_after_id is None and not ids:
        return []
    weights = weights_for(practice)
    if src is None:
        src = noshow.portable(from_django(practice.id), with_signals=bool(weights.extra))
    tz = practice.tz
    offset = int(now.astimezone(tz).utcoffset().total_seconds())
    T = int(now.timestamp())
    day_start = int(datetime.combine(now.astimezone(tz).date(), time(0), tz).timestamp())
    a = src.appointments
    pick = ibis.literal(False)
    if created_after_id is not None:
        pick = pick | (a.appointment_id > created_after_id)
    if ids:
        pick = pick | a.appointment_id.isin(ids)
    booked_s = ibis.least(a.booked_s.fill_null(a.start_s - 7 * DAY), ibis.literal(T, "int64"))
    moments = a.filter(pick & (a.status == "scheduled") & (a.start_s >= day_start)).select(
        "appointment_id", "episode_id", "start_s", booked_s=booked_s, as_of_s=ibis.literal(T, "int64"))
    rows = noshow.frame(noshow.scores(src, moments, weights, offset).select(noshow.COLUMNS))
    objs = [NoShowRisk(practice=practice, appointment_id=int(r["appointment_id"]), as_of=now,
                       moment=NoShowRisk.Moment.BOOKING, probability=float(r["noshow_risk"]),
                       reasons=noshow.reasons(r), model_version=weights.version)
            for r in rows.to_dict("records")]
    NoShowRisk.objects.bulk_create(objs, batch_size=2000)
    return objs


def after_import(practice, now: datetime, *, created_after_id: int | None, ids=()) -> int:
    """What an import calls once its rows are written: refit the practice's
    calibration if it is due (a first history has just arrived, say), then
    score what the import booked or changed."""
    from .calibration import refit_if_due

    # One copy of the practice's history into DuckDB for both (it was made
    # twice, once for the refit and once for the scores: a second of a
    # 20,000-row import). Nothing between them changes the appointments.
    src = noshow.portable(from_django(practice.id))
    refit_if_due(practice, now, src=src)
    return len(score_bookings(practice, now, created_after_id=created_after_id, ids=ids, src=src))


def appointment_booked(appointment, now: datetime | None = None) -> float | None:
    """For one appointment just created or changed (the REST API, a booking
    form): score it at once; returns its no-show risk, or None when it is no
    longer booked or already past."""
    from django.utils import timezone

    scored = score_bookings(appointment.practice, now or timezone.now(), ids=[appointment.pk])
    return scored[0].probability if scored else None


def latest_risks(appointment_ids) -> dict[int, "object"]:
    """The newest NoShowRisk of each appointment, booking or scan alike."""
    from django.db.models import Max

    from .models import NoShowRisk

    newest = (NoShowRisk.objects.filter(appointment_id__in=list(appointment_ids)).values("appointment_id")
              .annotate(m=Max("id")).values("m"))
    return {r.appointment_id: r for r in NoShowRisk.objects.filter(id__in=newest)}


__all__ = ["score_bookings", "after_import", "appointment_booked", "latest_risks"]
