"""The --json objects of a scan, built from its frames.

One object per episode (ids as the practice's own records name them, the
state and the words of its latest change, the dropout risk with its band
and reasons, and its upcoming appointments with their no-show risks). The
columns are converted a whole column at a time and each episode's upcoming
appointments picked out of one pass over a frame sorted once; nothing is
looked up or sorted per episode.
"""

from datetime import datetime
from datetime import timezone as dt_timezone

import pandas as pd

from stillhere.clients.models import Appointment, Client, Episode
from stillhere.lib.crypto import decrypt_many

FIELDS = ["client_id", "episode_id", "state", "state_since", "state_reason", "risk", "band", "reasons",
          "safety_check", "upcoming"]


def iso(value: datetime | None) -> str | None:
    if value is None or value is pd.NaT:
        return None
    return value.astimezone(dt_timezone.utc).isoformat().replace("+00:00", "Z")


def records(practice, frame: pd.DataFrame, ahead: pd.DataFrame) -> list[dict]:
    """The --json objects, in the frame's (episode) order."""
    ids = frame["episode_id"].tolist()
    episode_ext = dict(Episode.objects.filter(practice=practice, pk__in=ids).exclude(external_id="")
                       .values_list("id", "external_id")) if len(ids) <= 2000 else dict(
        Episode.objects.filter(practice=practice).exclude(external_id="").values_list("id", "external_id"))
    client_ext = _record_numbers(practice, set(frame["client_id"].tolist()))
    out = pd.DataFrame({
        "client_id": frame["client_id"].map(client_ext).fillna("").astype(str),
        "episode_id": [episode_ext.get(e) or str(e) for e in ids],
        "state": frame["state"].astype(str),
        "state_since": [iso(v) for v in frame["state_since"].tolist()],
        "state_reason": frame["state_reason"].fillna("").astype(str),
        "risk": [round(r, 4) for r in frame["risk"].astype(float).tolist()],
        "band": frame["band"],
        "reasons": frame["reasons"],
        "safety_check": frame["safety_check"].astype(bool),
        "upcoming": _upcoming(practice, ids, ahead),
    })
    return out[FIELDS].to_dict("records")


def _record_numbers(practice, wanted: set) -> dict:
    """{client id: their record number} for the clients in `wanted` only.

    Record numbers are stored encrypted, and decrypting is most of the
    cost (about 60 µs each): a practice of 100,000 clients has some 60,000
    in a scan, and every other client's number was decrypted for nothing.
    The ciphertexts are read as stored and only the wanted ones opened,
    the field's own decrypt with the keys looked up once (decrypt_many)."""
    from django.db import connection

    table = Client._meta.db_table
    column = Client._meta.get_field("external_id").column
    with connection.cursor() as cur:
        cur.execute(f'SELECT id, "{column}" FROM "{table}" WHERE practice_id = %s', [practice.pk])
        rows = cur.fetchall()
    rows = [(pk, value) for pk, value in rows if pk in wanted]
    return dict(zip((pk for pk, _ in rows), decrypt_many(value for _, value in rows)))


def _upcoming(practice, ids: list, ahead: pd.DataFrame) -> list[list[dict]]:
    """Each episode's upcoming appointments (soonest first), in `ids` order."""
    if not len(ahead):
        return [[] for _ in ids]
    first = datetime.fromtimestamp(int(ahead["start_s"].min()), dt_timezone.utc)
    ext = dict(Appointment.objects.filter(practice=practice, start__gte=first).exclude(external_id="")
               .values_list("id", "external_id"))
    appt = ahead["appointment_id"].tolist()
    start = pd.to_datetime(ahead["start_s"].astype("int64"), unit="s", utc=True).dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    objs = [{"appointment_id": ext.get(a) or str(a), "start": s, "noshow_risk": r, "reasons": rs}
            for a, s, r, rs in zip(appt, start.tolist(), [round(r, 4) for r in ahead["noshow_risk"].astype(float).tolist()],
                                   ahead["reasons"].tolist())]
    by_episode: dict = {}
    for e, o in zip(ahead["episode_id"].tolist(), objs):   # sorted by episode, then start
        by_episode.setdefault(e, []).append(o)
    return [by_episode.get(e, []) for e in ids]


__all__ = ["records", "iso", "FIELDS"]
