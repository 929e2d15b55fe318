"""ORM rows to the API's answers, in one place so every endpoint that shows
a client, an episode or an appointment shows it the same way."""

from collections import defaultdict

from stillhere.clients.models import Episode

CLIENT_FIELDS = ("external_id", "first_name", "last_name", "preferred_name", "pronouns", "birth_date", "email",
                 "phone", "address_line1", "address_line2", "city", "region", "postal_code", "country",
                 "consent_email", "consent_sms", "consent_voicemail", "consent_letter", "do_not_contact",
                 "safety_concern", "style_flags", "created")


def episode_brief(e: Episode) -> dict:
    return {"id": e.pk, "clinician": {"id": e.clinician_id, "name": e.clinician.name}, "started": e.started,
            "ended": e.ended, "end_reason": e.end_reason, "state": e.state, "state_since": e.state_since}


def clients(rows, episodes_qs) -> list[dict]:
    """Each client with the episodes the member may see (one query for all)."""
    by_client = defaultdict(list)
    for e in (episodes_qs.filter(client__in=[c.pk for c in rows]).select_related("clinician__user")
              .order_by("started", "id")):
        by_client[e.client_id].append(episode_brief(e))
    return [{"id": c.code, **{f: getattr(c, f) for f in CLIENT_FIELDS}, "episodes": by_client[c.pk]} for c in rows]


def appointment(a, client_code) -> dict:
    return {"id": a.pk, "external_id": a.external_id, "episode": a.episode_id, "client": client_code,
            "start": a.start, "duration_min": a.duration_min, "status": a.status, "minutes_late": a.minutes_late,
            "session_number": a.session_number, "booked_at": a.booked_at, "cancelled_at": a.cancelled_at,
            "updated": a.updated}


def step(s) -> dict:
    return {"id": s.code, "client": s.client.code, "episode": s.episode_id, "position": s.position, "key": s.key,
            "channel": s.channel, "status": s.status, "due": s.due, "subject": s.subject, "body": s.body,
            "findings": s.findings or []}


def measure(m, client_code, score=None) -> dict:
    return {"id": m.pk, "client": client_code, "episode": m.episode_id, "appointment": m.appointment_id,
            "instrument": m.instrument, "taken_on": m.taken_on, "items": m.items, "total": m.total,
            "band": getattr(score, "band", None) if score else None,
            "flags": [f.reason for f in score.flags] if score else [],
            "external_id": m.external_id, "source": m.source}
