"""Write a whole practice's clinicians, clients, episodes and appointments at once.

Used by the simulator and the demo; the rows come from frames in the generic
import schema. One transaction: either all of it is there or none of it.
"""

import math

import pandas as pd
from django.contrib.auth import get_user_model
from django.db import transaction

from stillhere.accounts.models import Membership, Practice
from stillhere.audit.events import PracticeLoaded, record

from .models import Appointment, Client, Episode, SessionMarker

BATCH = 5000

STATE_FOR_END = {
    "no_goodbye": Episode.State.ENDED_NO_GOODBYE,
    "planned": Episode.State.ENDED_PLANNED,
    "by_client": Episode.State.ENDED_BY_CLIENT,
    "referred": Episode.State.ENDED_PLANNED,
    "administrative": Episode.State.ENDED_PLANNED,
}


def _blank(v):
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NaT else v


def _ts(v):
    return None if v is None or pd.isna(v) else pd.Timestamp(v).to_pydatetime()


def ensure_clinicians(practice: Practice, clinicians: pd.DataFrame) -> dict[str, Membership]:
    """Membership per clinician email; new ones get accounts without a usable password."""
    User = get_user_model()
    out = {}
    for row in clinicians.itertuples(index=False):
        email = str(row.clinician).lower()
        user, _ = User.objects.get_or_create(username=email, defaults={"email": email})
        if not user.has_usable_password() and not user.password:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        first, _, last = str(getattr(row, "name", "") or "").partition(" ")
        if first and not user.first_name:
            User.objects.filter(pk=user.pk).update(first_name=first, last_name=last)
        m, _ = Membership.objects.get_or_create(practice=practice, user=user,
                                                defaults={"role": Membership.Role.CLINICIAN,
                                                          "display_name": getattr(row, "name", "") or ""})
        out[email] = m
    return out


@transaction.atomic
def load_practice(practice: Practice, clinicians: pd.DataFrame, clients: pd.DataFrame,
                  episodes: pd.DataFrame, appointments: pd.DataFrame) -> dict:
    members = ensure_clinicians(practice, clinicians)

    client_objs = []
    for r in clients.to_dict("records"):
        flags = [f for f in str(_blank(r.get("style_flags")) or "").split(";") if f]
        client_objs.append(Client(
            practice=practice, external_id=str(r["client_id"]), first_name=r["first_name"],
            last_name=_blank(r.get("last_name")), preferred_name=_blank(r.get("preferred_name")),
            pronouns=_blank(r.get("pronouns")), birth_date=_blank(r.get("birth_date")) or None,
            email=_blank(r.get("email")), phone=_blank(r.get("phone")),
            address_line1=_blank(r.get("address_line1")), address_line2=_blank(r.get("address_line2")),
            city=_blank(r.get("city")), region=_blank(r.get("region")),
            postal_code=_blank(r.get("postal_code")), country=_blank(r.get("country")),
            consent_email=bool(r.get("consent_email")), consent_sms=bool(r.get("consent_sms")),
            consent_voicemail=bool(r.get("consent_voicemail")), consent_letter=bool(r.get("consent_letter")),
            do_not_contact=bool(r.get("do_not_contact")), safety_concern=bool(r.get("safety_concern")),
            style_flags=flags,
        ))
    Client.objects.bulk_create(client_objs, batch_size=BATCH)
    client_pk = dict(Client.objects.filter(practice=practice).values_list("external_id", "pk"))

    ep_objs = []
    for r in episodes.to_dict("records"):
        reason = _blank(r.get("end_reason")) or ""
        prev = r.get("previous_episode_id")
        state = STATE_FOR_END.get(reason) or (Episode.State.RETURNED if prev else Episode.State.ACTIVE)
        ep_objs.append(Episode(
            practice=practice, client_id=client_pk[str(r["client_id"])],
            clinician=members[str(r["clinician"]).lower()], external_id=str(r["episode_id"]),
            started=r["started"], ended=_blank(r.get("ended")) or None, end_reason=reason, state=state,
        ))
    Episode.objects.bulk_create(ep_objs, batch_size=BATCH)
    ep_pk = dict(Episode.objects.filter(practice=practice).values_list("external_id", "pk"))
    links = [Episode(pk=ep_pk[str(r.episode_id)], previous_id=ep_pk[str(r.previous_episode_id)])
             for r in episodes.itertuples(index=False) if r.previous_episode_id]
    Episode.objects.bulk_update(links, ["previous"], batch_size=BATCH)

    appt_objs, marker_for = [], {}
    for r in appointments.to_dict("records"):
        ext = str(r["appointment_id"])
        appt_objs.append(Appointment(
            practice=practice, episode_id=ep_pk[str(r["episode_id"])], external_id=ext,
            start=_ts(r["start"]), booked_at=_ts(r.get("booked_at")), cancelled_at=_ts(r.get("cancelled_at")),
            duration_min=int(r.get("duration_min") or 50), status=str(r["status"]),
            minutes_late=int(r.get("late_minutes") or 0),
            session_number=int(r.get("session_number") or 0) or None,
            session_type=str(r.get("session_type") or "session"),
        ))
        if _blank(r.get("marker")):
            marker_for[ext] = str(r["marker"])
    Appointment.objects.bulk_create(appt_objs, batch_size=BATCH)
    if marker_for:
        appt_pk = dict(Appointment.objects.filter(practice=practice, external_id__in=list(marker_for))
                       .values_list("external_id", "pk"))
        SessionMarker.objects.bulk_create(
            [SessionMarker(appointment_id=appt_pk[e], kind=k) for e, k in marker_for.items()], batch_size=BATCH)

    counts = {"clinicians": len(members), "clients": len(client_objs), "episodes": len(ep_objs),
              "appointments": len(appt_objs), "markers": len(marker_for)}
    record(PracticeLoaded(practice=practice, counts=counts))
    return counts
