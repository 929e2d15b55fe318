"""One client's whole record, to hand over: a zip with JSON, a PDF and the letters.

A practice answering a client's request for their record (HIPAA's right of
access, GDPR's article 15) needs everything stillhere holds about that
person, in a form a machine can read (client.json) and a person can read
(client.pdf), plus every letter as it was printed (letters/*.pdf).

Rows are written field by field from the models themselves, so a field added
later is exported without anyone remembering to add it here. What is left
out, and why:
- the clinician's private rupture reviews (reflection text): their process
  notes about the work, not the client's record, as psychotherapy notes are
  outside the right of access; the export says a review exists and when.
  `include_reflections=True` (`--with-reflections`) adds the text when the
  practice decides the request covers it;
- internal bookkeeping (send claims, the tick's markers).

The CLI (`stillhere client export`) and the web page (`clients/<code>/record/`)
are thin layers over `build_archive()` and `write_archive()`.
"""

import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from stillhere.accounts.models import Membership
from stillhere.lib.crypto import BlindIndexField
from stillhere.lib.paths import data_dir
from stillhere.lib.private import private_dir, write_private

FORMAT = "stillhere client record, version 1"
SKIP = {"practice", "claim", "claimed", "processed", "pdf"}
REFLECTION_TEXT = {"last_sessions", "safety_note", "ruptures", "progress_note", "other_fit_note", "differently"}


def _who(obj) -> str:
    if obj is None:
        return ""
    if isinstance(obj, Membership):
        return obj.name
    if isinstance(obj, get_user_model()):
        return obj.get_full_name() or obj.username
    return str(obj)


def row(obj, skip=()) -> dict:
    """A model row as plain values: choices with their words, people by name,
    other links by id."""
    out = {}
    User = get_user_model()
    for f in obj._meta.concrete_fields:
        if f.name in SKIP or f.name in skip or isinstance(f, BlindIndexField):  # our keyed digests, not theirs
            continue
        if f.is_relation:
            if f.related_model in (Membership, User):
                out[f.name] = _who(getattr(obj, f.name))
            else:
                out[f"{f.name}_id"] = getattr(obj, f.attname)
            continue
        value = getattr(obj, f.attname)
        if isinstance(value, (bytes, memoryview)):
            continue
        out[f.name] = value
        if f.choices and value not in (None, ""):
            words = dict(f.flatchoices).get(value)
            if words is not None and str(words) != str(value):
                out[f"{f.name}_words"] = str(words)
    return out


@dataclass
class Archive:
    client: object
    record: dict
    letters: list = field(default_factory=list)   # (file name, pdf bytes)

    @property
    def counts(self) -> dict:
        r = self.record
        return {"episodes": len(r["episodes"]), "appointments": sum(len(e["appointments"]) for e in r["episodes"]),
                "measures": len(r["measures"]), "outreach_steps": sum(len(s["steps"]) for s in r["outreach"]),
                "replies": len(r["replies"]), "letters": len(self.letters), "audit_events": len(r["audit_events"])}


def gather(client, include_reflections: bool = False) -> tuple[dict, list]:
    """Everything about one client, as a dict ready for JSON, and the letters' PDFs."""
    from stillhere.audit.models import AuditEvent
    from stillhere.desk.models import RaisedMark, RiskReview
    from stillhere.measures.models import CheckinInterval, MeasureResult
    from stillhere.outreach.models import (CadencePolicy, ChannelBlock, Letter, OutboxMessage, Reply, Response,
                                           SafetyEscalation, Sequence, ShortLink)
    from stillhere.reflection.models import Reflection
    from stillhere.risk.models import CurrentRisk, NoShowRisk, RiskScore

    episodes = []
    for e in client.episodes.select_related("clinician__user").order_by("started", "id"):
        appts = []
        for a in e.appointments.order_by("start", "id"):
            appts.append(row(a, skip={"episode"}) | {
                "markers": [row(m, skip={"appointment"}) for m in a.markers.order_by("created", "id")],
                "no_show_risks": [row(r, skip={"appointment"}) for r in
                                  NoShowRisk.objects.filter(appointment=a).order_by("id")],
            })
        current = CurrentRisk.objects.filter(episode=e).first()
        episodes.append(row(e, skip={"client"}) | {
            "state_changes": [row(c, skip={"episode"}) for c in e.state_changes.order_by("at", "id")],
            "planned_breaks": [row(b, skip={"episode"}) for b in e.planned_breaks.order_by("starts", "id")],
            "appointments": appts,
            "current_risk": row(current, skip={"episode"}) if current else None,
            "risk_scores": [row(r, skip={"episode"}) for r in RiskScore.objects.filter(episode=e).order_by("id")],
            "risk_reviews": [row(r, skip={"episode"}) for r in RiskReview.objects.filter(episode=e).order_by("id")],
            "raised_marks": [row(r, skip={"episode"}) for r in RaisedMark.objects.filter(episode=e).order_by("id")],
        })

    letters, outreach = [], []
    for seq in Sequence.objects.filter(client=client).order_by("started", "id"):
        steps = []
        for s in seq.steps.order_by("due", "id"):
            item = row(s, skip={"sequence", "client", "episode"}) | {
                "attempts": [row(a, skip={"step", "client"}) for a in s.attempts.order_by("created", "id")]}
            resp = Response.objects.filter(step=s).first()
            item["response"] = row(resp, skip={"step", "client", "episode"}) if resp else None
            link = ShortLink.objects.filter(step=s).first()
            item["short_link"] = row(link, skip={"step", "client", "code"}) if link else None
            letter = Letter.objects.filter(step=s).first()
            if letter is not None:
                name = f"letters/letter-{letter.created:%Y-%m-%d}-{letter.pk}.pdf"
                letters.append((name, bytes(letter.pdf)))
                item["letter"] = row(letter, skip={"step", "attempt"}) | {"file": name}
            steps.append(item)
        esc = SafetyEscalation.objects.filter(sequence=seq).first()
        outreach.append(row(seq, skip={"client"}) | {
            "steps": steps, "escalation": row(esc, skip={"sequence", "client"}) if esc else None})

    reflections = []
    for r in Reflection.objects.filter(episode__client=client).select_related("author__user").order_by("id"):
        out = row(r, skip=() if include_reflections else REFLECTION_TEXT)
        if not include_reflections:
            out["text"] = "Not included: the clinician's private review of the work (see the README)."
        reflections.append(out)

    contact = [v for v in (client.email, client.phone) if v]
    outbox = [row(o) for o in OutboxMessage.to_any(contact)]
    checkin = CheckinInterval.objects.filter(client=client).first()
    record = {
        "format": FORMAT,
        "exported": timezone.now(),
        "practice": client.practice.name,
        "client": row(client),
        "episodes": episodes,
        "measures": [row(m, skip={"client"}) for m in MeasureResult.objects.filter(client=client).order_by(
            "taken_on", "id")],
        "checkin_interval": row(checkin, skip={"client"}) if checkin else None,
        "outreach_plan": [row(p, skip={"client"}) for p in CadencePolicy.objects.filter(client=client)],
        "channel_blocks": [row(b, skip={"client"}) for b in ChannelBlock.objects.filter(client=client)],
        "outreach": outreach,
        "replies": [row(r, skip={"client"}) for r in Reply.objects.filter(client=client).order_by("received", "id")],
        "outbox_messages": outbox,
        "reflections": reflections,
        "audit_events": [_audit(e) for e in events_about(client)],
    }
    return json.loads(json.dumps(record, cls=DjangoJSONEncoder)), letters


def events_about(client):
    """The audit events naming this client: as *the* client, or among the
    clients a list page showed (data["clients"])."""
    from stillhere.audit.models import AuditEvent

    own = list(AuditEvent.objects.filter(client_id=client.pk).select_related("actor").order_by("seq", "id"))
    seen = {e.pk for e in own}
    for e in (AuditEvent.objects.filter(practice_id=client.practice_id, client_id__isnull=True)
              .select_related("actor").order_by("seq", "id").iterator(chunk_size=2000)):
        if e.pk not in seen and client.pk in ((e.data or {}).get("clients") or ()):
            own.append(e)
    return sorted(own, key=lambda e: (e.seq or 0, e.pk))


def _audit(e) -> dict:
    return {"when": e.created, "who": _who(e.actor) or "the system", "what": e.verb,
            "target": f"{e.target_type} {e.target_id}".strip(), "seq": e.seq}


def build_archive(client, include_reflections: bool = False) -> Archive:
    record, letters = gather(client, include_reflections)
    return Archive(client=client, record=record, letters=letters)


def zip_bytes(archive: Archive) -> bytes:
    from .export_pdf import render

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("client.json", json.dumps(archive.record, indent=2, ensure_ascii=False))
        z.writestr("client.pdf", render(archive.record))
        for name, pdf in archive.letters:
            z.writestr(name, pdf)
        z.writestr("README.txt", README_TXT)
    return buf.getvalue()


README_TXT = """This is one client's record as stillhere held it on the day it was exported.

client.pdf   the record to read: details, episodes and sessions, questionnaires,
             outreach and replies, and who looked at the record (the audit trail).
client.json  the same, complete, for another program to read.
letters/     each letter as it was printed and posted.

A clinician's private review of the work (a rupture review) is named but its
text is not included unless the practice chose to include it.
"""


def file_name(client, when: datetime | None = None) -> str:
    """Named by the client's random code, never their name (the file may be
    listed where others see it)."""
    when = when or timezone.now()
    return f"client-record-{str(client.code)[:8]}-{when:%Y%m%d-%H%M%S}.zip"


def exports_dir() -> Path:
    """STILLHERE_DATA_DIR/exports, 0700."""
    path = private_dir(data_dir() / "exports")
    path.chmod(0o700)
    return path


def export_client(client, actor=None, *, where: str, out: Path | None = None,
                  include_reflections: bool = False) -> tuple[Archive, bytes, Path | None]:
    """Build the archive, record `client-exported`, and write it to `out`
    (a folder or a .zip path; None: only return the bytes, for a download)."""
    from stillhere.audit.events import ClientExported, record

    archive = build_archive(client, include_reflections)
    data = zip_bytes(archive)
    path = None
    if out is not None:
        out = Path(out)
        path = out if out.suffix == ".zip" else out / file_name(client)
        write_private(path, data)
    record(ClientExported(practice=client.practice, actor=actor, client=client, where=where,
                          counts=archive.counts | {"reflection_text": include_reflections}))
    return archive, data, path


def today_words(d: date) -> str:
    return f"{d.day} {d:%B %Y}"
