"""Write a whole practice's clinicians, clients, episodes and appointments at once.

Used by the simulator and the demo; the rows come from frames in the generic
import schema. It is the importer's writer (stillhere/ingest/writer.py) fed
from frames instead of files, so there is one piece of code that inserts,
updates and numbers sessions. One transaction: all of it is there or none.
"""

import math
from datetime import date, datetime

import pandas as pd
from django.db import transaction

from stillhere.accounts.models import Practice
from stillhere.audit.events import PracticeLoaded, record

BATCH = 2000
CLIENT_TEXT = ("first_name", "last_name", "preferred_name", "pronouns", "email", "phone", "address_line1",
               "address_line2", "city", "region", "postal_code", "country")
CLIENT_FLAGS = ("consent_email", "consent_sms", "consent_voicemail", "consent_letter", "do_not_contact",
                "safety_concern")


def _blank(v):
    return v is None or v is pd.NaT or (isinstance(v, float) and math.isnan(v))


def _text(v) -> str:
    return "" if _blank(v) else str(v)


def _ts(v):
    return None if _blank(v) or pd.isna(v) else pd.Timestamp(v).to_pydatetime()


def _day(v):
    if _blank(v) or (not isinstance(v, (date, datetime, str)) and pd.isna(v)) or v == "":
        return None
    return pd.Timestamp(v).date()


def _chunks(frame: pd.DataFrame):
    for i in range(0, len(frame), BATCH):
        yield list(enumerate(frame.iloc[i:i + BATCH].to_dict("records"), start=i + 1))


def _client(r) -> dict:
    rec = {"external_id": str(r["client_id"]), **{k: _text(r.get(k)) for k in CLIENT_TEXT if k in r}}
    rec.update({k: bool(r.get(k)) for k in CLIENT_FLAGS if k in r})
    rec["birth_date"] = _day(r.get("birth_date"))
    rec["style_flags"] = [f for f in _text(r.get("style_flags")).split(";") if f]
    return rec


def _episode(r) -> dict:
    prev = r.get("previous_episode_id")
    return {"external_id": str(r["episode_id"]), "client": str(r["client_id"]),
            "clinician": str(r["clinician"]).lower(),
            "started": _day(r["started"]), "ended": _day(r.get("ended")), "end_reason": _text(r.get("end_reason")),
            "previous": str(prev) if not _blank(prev) and prev not in (0, "0", "") else None}


def _appointment(r) -> dict:
    rec = {"external_id": str(r["appointment_id"]), "client": str(r["client_id"]),
           "clinician": str(r["clinician"]).lower(), "start": _ts(r["start"]), "status": str(r["status"]),
           "booked_at": _ts(r.get("booked_at")), "cancelled_at": _ts(r.get("cancelled_at")),
           "duration_min": int(r.get("duration_min") or 50), "minutes_late": int(r.get("late_minutes") or 0),
           "session_type": _text(r.get("session_type")) or "session", "marker": _text(r.get("marker"))}
    if not _blank(r.get("episode_id")):
        rec["episode"] = str(r["episode_id"])
    return rec


@transaction.atomic
def load_practice(practice: Practice, clinicians: pd.DataFrame, clients: pd.DataFrame,
                  episodes: pd.DataFrame, appointments: pd.DataFrame) -> dict:
    from stillhere.ingest.report import ImportReport
    from stillhere.ingest.writer import Writer

    report = ImportReport(kind="simulator")
    writer = Writer(practice, report, source="simulator")
    writer.clinicians.prepare([(str(r["clinician"]).lower(), _text(r.get("name")))
                               for r in clinicians.to_dict("records")])
    for r in clinicians.to_dict("records"):
        writer.clinicians.resolve(str(r["clinician"]).lower(), _text(r.get("name")))
    for batch in _chunks(clients):
        writer.write_clients([(n, _client(r)) for n, r in batch], "clients")
    for batch in _chunks(episodes):
        writer.write_episodes([(n, _episode(r)) for n, r in batch], "episodes")
    for batch in _chunks(appointments):
        writer.write_appointments([(n, _appointment(r)) for n, r in batch], "appointments")
        if report.failed:
            break
    writer.finish()
    if report.failed:
        raise ValueError(f"The practice could not be loaded: {report.problems[0]}")
    counts = {"clinicians": len(clinicians), "clients": len(clients), "episodes": len(episodes),
              "appointments": len(appointments),
              "markers": report.counts.get("markers", {}).get("created", 0)}
    record(PracticeLoaded(practice=practice, counts=counts))
    return counts
