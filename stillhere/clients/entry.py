"""Manual entry: a client, a booking, an outcome or a break typed in by a
person, written through the same Writer the imports use, then the client's
episodes rescanned (engagement/rescan.py) so their state (missed,
re-engaged...) is right at once.

Everything a form sends goes through one small function here, so the web
pages (and later the API) stay thin. Each write is one transaction and
audited; a problem the Writer reports is raised as EntryError in words.
"""

import uuid
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from stillhere.audit.events import AppointmentSaved, BreakRecorded, ClientSaved, record
from stillhere.engagement.models import PlannedBreak
from stillhere.ingest.report import ImportReport
from stillhere.ingest.writer import CLIENT_FIELDS, Writer

from .models import Appointment, Client, Episode

# Written straight to the client: the import formats do not carry them.
EXTRA_FIELDS = ("safety_note", "safety_since", "emergency_name", "emergency_relationship", "emergency_phone",
                "emergency_consent")
S = Appointment.Status


class EntryError(Exception):
    pass


def _new_id() -> str:
    return f"manual:{uuid.uuid4().hex[:12]}"


def _who(membership) -> str:
    """How the Writer's clinician lookup finds this member."""
    return membership.user.username


def _run(practice, work):
    report = ImportReport(kind="manual")
    with transaction.atomic():
        writer = Writer(practice, report, source="manual")
        result = work(writer)
        if report.failed:
            raise EntryError("; ".join(f"{p.column.replace('_', ' ')}: {p.reason}" for p in report.problems))
        writer.finish()
    return result


def rescan(practice, now=None, *, client=None, why: str = "") -> None:
    """States and risks of this client's episodes as of just after this write
    (engagement/rescan.py: the scan itself, restricted to them), so the inbox
    and the client page agree with what was just typed."""
    from stillhere.engagement.rescan import rescan_clients

    rescan_clients(practice, [client.pk], why=why, now=now or timezone.now())


def save_client(membership, values: dict, *, client: Client | None = None, clinician=None,
                now=None) -> Client:
    """Add a client (with an open episode held by `clinician`) or change one."""
    practice = membership.practice
    ext = client.external_id if client else (values.get("external_id") or _new_id())
    row = {k: values[k] for k in CLIENT_FIELDS if k in values}
    row["external_id"] = ext
    before = {k: getattr(client, k) for k in (*CLIENT_FIELDS, *EXTRA_FIELDS)} if client else {}
    today = timezone.localdate(now or timezone.now(), practice.tz)

    def work(writer):
        writer.write_clients([(1, row)], label="client form")
        if client is None and not writer.report.failed:
            writer.write_episodes([(1, {"client": ext, "clinician": _who(clinician or membership),
                                        "started": today, "external_id": _new_id()})], label="client form")

    _run(practice, work)
    saved = Client.objects.filter(practice=practice).with_record_number(ext).get()
    extra = {k: values[k] for k in EXTRA_FIELDS if k in values and getattr(saved, k) != values[k]}
    if extra:
        for k, v in extra.items():
            setattr(saved, k, v)
        saved.save(update_fields=list(extra))
    changed = sorted(k for k in (*CLIENT_FIELDS, *EXTRA_FIELDS) if client is None or before[k] != getattr(saved, k))
    record(ClientSaved(practice=practice, actor=membership.user, client=saved, created=client is None,
                       fields=changed))
    if client is None or ("safety_concern" in changed or "do_not_contact" in changed):
        rescan(practice, now, client=saved, why="after a client's details were saved")
    return saved


RESCAN_WHY = {"rescheduled": "after a session was moved", "cancelled": "after a cancellation",
              "outcome": "after a session's outcome was recorded"}


def open_episode(client) -> Episode | None:
    return client.episodes.filter(ended__isnull=True).order_by("-started").first()


def book(membership, client, start: datetime, *, duration_min: int = 50, clinician=None, now=None) -> Appointment:
    """A new session in the client's open episode (a new episode if they have none: a return)."""
    now = now or timezone.now()
    ep = open_episode(client)
    who = clinician or (ep.clinician if ep else membership)
    ext = _new_id()
    _run(membership.practice, lambda w: w.write_appointments([(1, {
        "client": client.external_id, "clinician": _who(who), "start": start, "duration_min": duration_min,
        # A session typed in after the fact was booked at some unknown time before
        # it: "now" would read as a rebooking after every miss since.
        "status": S.SCHEDULED, "booked_at": now if start > now else None, "external_id": ext})],
        label="booking form"))
    appt = Appointment.objects.get(practice=membership.practice, external_id=ext)
    record(AppointmentSaved(practice=membership.practice, actor=membership.user, client=client, appointment=appt,
                            action="booked", status=appt.status))
    rescan(membership.practice, now, client=client, why="after a booking")
    return appt


def _update(membership, appt: Appointment, values: dict, action: str, now=None) -> Appointment:
    now = now or timezone.now()
    if not appt.external_id:
        appt.external_id = _new_id()
        appt.save(update_fields=["external_id"])
    client = appt.episode.client
    row = {"client": client.external_id, "clinician": _who(appt.episode.clinician), "start": appt.start,
           "external_id": appt.external_id, "episode": appt.episode.external_id or None, **values}
    if not row["episode"]:
        row.pop("episode")
    _run(membership.practice, lambda w: w.write_appointments([(1, row)], label="session form"))
    appt.refresh_from_db()
    record(AppointmentSaved(practice=membership.practice, actor=membership.user, client=client, appointment=appt,
                            action=action, status=appt.status))
    rescan(membership.practice, now, client=client, why=RESCAN_WHY.get(action, "after a session was updated"))
    return appt


def reschedule(membership, appt, start: datetime, now=None) -> Appointment:
    if appt.status != S.SCHEDULED:
        raise EntryError("Only a session still to come can be moved; book a new one instead.")
    return _update(membership, appt, {"start": start, "booked_at": now or timezone.now()}, "rescheduled", now)


OUTCOMES = {
    "attended": "Came",
    "late": "Came late",
    "no_show": "Did not come (no-show)",
    "late_cancel": "Cancelled late",
    "cancelled": "Cancelled with notice",
    "clinician_cancelled": "Cancelled by the clinician",
}


def record_outcome(membership, appt, outcome: str, *, minutes_late: int = 0, now=None) -> Appointment:
    """What became of a session: attended (late by N minutes), no-show, a cancellation."""
    now = now or timezone.now()
    if outcome not in OUTCOMES:
        raise EntryError("Choose what happened to the session.")
    if outcome in ("attended", "late", "no_show") and appt.start > now:
        raise EntryError("This session has not happened yet: you can cancel it or move it, and record how it "
                         "went afterwards.")
    if outcome == "late" and not 1 <= minutes_late <= 240:
        raise EntryError("Say how many minutes late (1 to 240).")
    values = {"status": S.ATTENDED if outcome in ("attended", "late") else outcome,
              "minutes_late": minutes_late if outcome == "late" else 0}
    if outcome in ("late_cancel", "cancelled", "clinician_cancelled"):
        values["cancelled_at"] = now
    return _update(membership, appt, values, "cancelled" if "cancel" in outcome else "outcome", now)


def record_break(membership, client, starts, ends, reason: str = "", now=None) -> PlannedBreak:
    """A pause the client and clinician agreed on: no lapse is raised during it."""
    ep = open_episode(client)
    if ep is None:
        raise EntryError("This client has no open episode to pause.")
    if ends < starts:
        raise EntryError("The break must end on or after the day it starts.")
    if (ends - starts) > timedelta(days=366):
        raise EntryError("A break can be at most a year; record a planned ending instead.")
    b = PlannedBreak.objects.create(practice=membership.practice, episode=ep, starts=starts, ends=ends,
                                    reason=reason[:200], created_by=membership)
    record(BreakRecorded(practice=membership.practice, actor=membership.user, client=client,
                         days=(ends - starts).days + 1))
    rescan(membership.practice, now, client=client, why="after a break was recorded")
    return b
