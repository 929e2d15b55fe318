"""Erasing one client: everything stillhere holds about them, in one transaction.

Deleted: the client and every row that hangs off them (episodes, sessions
and their markers, state changes, breaks, risk scores, reviews, measures,
check-in settings, outreach sequences, steps, attempts, letters, replies,
responses, short links, safety escalations, channel blocks, their own
outreach plan, reflections and their consultation summaries); the Django
admin's log entries about any of those rows (their text names the client);
messages to the client's address or number in the local outbox; webhook
deliveries naming the client; the problems in import reports that mention
them and any uploaded import file still on disk that holds them; the inbox
cache.

Kept, as the documented minimum: the audit trail. Its rows cannot be
deleted (they are chained and append-only) and a practice must keep them
(HIPAA asks six years); each keeps the client's former numeric id, which
now points at nothing, and `client_ref`, a keyed pseudonym, and no name or
contact detail. So `stillhere audit verify` still passes after an erasure,
and the trail can still say "the same person" without saying who. The
erasure itself is recorded as `client-erased`, with counts only.

The CLI (`stillhere client erase`) and the web page are thin layers over
`erase_client()`.
"""

import json
import shutil
from collections import Counter
from dataclasses import dataclass, field

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import router, transaction
from django.db.models.deletion import Collector

from stillhere.lib.paths import data_dir

REMOVED = "(removed: it named a client who was erased)"


@dataclass
class Erasure:
    client_id: int
    counts: Counter = field(default_factory=Counter)

    def summary(self) -> str:
        parts = [f"{n} {kind.replace('_', ' ')}" for kind, n in sorted(self.counts.items()) if n]
        return ", ".join(parts) or "nothing else"


def tokens(client) -> list[str]:
    """Strings that identify the client in free text and files (lower case)."""
    found = [client.email, client.phone, f"{client.first_name} {client.last_name}".strip(), str(client.code)]
    if len(client.external_id) >= 3:
        found.append(client.external_id)
    return [t.lower() for t in found if t and len(t) >= 3]


def _mentions(value, marks) -> bool:
    text = json.dumps(value, ensure_ascii=False, default=str).lower() if not isinstance(value, str) else value.lower()
    return any(m in text for m in marks)


def scrub(value, marks):
    """A copy of a JSON value without the list items that mention the client,
    and with any other string that does replaced; (new value, how many)."""
    if isinstance(value, list):
        kept = [v for v in value if not _mentions(v, marks)]
        n = len(value) - len(kept)
        out = []
        for v in kept:
            v2, k = scrub(v, marks)
            out.append(v2)
            n += k
        return out, n
    if isinstance(value, dict):
        out, n = {}, 0
        for k, v in value.items():
            out[k], m = scrub(v, marks)
            n += m
        return out, n
    if isinstance(value, str) and _mentions(value, marks):
        return REMOVED, 1
    return value, 0


def _file_mentions(folder, marks) -> bool:
    for path in folder.rglob("*"):
        if path.is_file():
            try:
                text = path.read_bytes().decode("utf-8", errors="ignore").lower()
            except OSError:
                continue
            if any(m in text for m in marks):
                return True
    return False


def _imports(client, marks, erasure):
    from stillhere.ingest.models import ImportRun

    for run in ImportRun.objects.filter(practice_id=client.practice_id):
        changed = []
        for attr in ("report", "options"):
            value = getattr(run, attr)
            if value:
                new, n = scrub(value, marks)
                if n:
                    setattr(run, attr, new)
                    changed.append(attr)
                    erasure.counts["import_report_entries"] += n
        folder = data_dir() / "imports" / str(run.code)
        if folder.is_dir() and _file_mentions(folder, marks):
            shutil.rmtree(folder, ignore_errors=True)
            erasure.counts["uploaded_import_files"] += 1
            if run.status in (ImportRun.Status.UPLOADED, ImportRun.Status.CHECKED, ImportRun.Status.RUNNING):
                run.status = ImportRun.Status.FAILED
                changed.append("status")
        if changed:
            run.save(update_fields=changed)


def erase_client(client, actor=None, *, where: str) -> Erasure:
    """Delete everything about `client` and record `client-erased`."""
    from stillhere.api.models import WebhookDelivery
    from stillhere.audit.events import ClientErased, record
    from stillhere.outreach.models import OutboxMessage

    erasure = Erasure(client_id=client.pk)
    marks = tokens(client)
    practice = client.practice
    using = router.db_for_write(type(client))
    with transaction.atomic(using=using):
        collector = Collector(using=using)
        collector.collect([client])
        doomed = {}
        for model, objs in collector.data.items():
            doomed.setdefault(model, set()).update(o.pk for o in objs)
        for qs in collector.fast_deletes:
            doomed.setdefault(qs.model, set()).update(qs.values_list("pk", flat=True))
        for model, pks in doomed.items():
            erasure.counts[model._meta.verbose_name_plural.replace(" ", "_")] += len(pks)
            ct = ContentType.objects.get_for_model(model, for_concrete_model=False)
            n, _ = LogEntry.objects.filter(content_type=ct, object_id__in=[str(pk) for pk in pks]).delete()
            erasure.counts["admin_log_entries"] += n
        contact = [v for v in (client.email, client.phone) if v]
        if contact:
            n, _ = OutboxMessage.objects.filter(pk__in=[m.pk for m in OutboxMessage.to_any(contact)]).delete()
            erasure.counts["outbox_messages"] += n
        for d in WebhookDelivery.objects.filter(endpoint__practice=practice).only("id", "payload"):
            if _mentions(d.payload, [str(client.code).lower()]):
                d.delete()
                erasure.counts["webhook_deliveries"] += 1
        _imports(client, marks, erasure)
        # Recorded before the rows go, in the same transaction: an erasure
        # that fails leaves neither the deletion nor a claim that it happened.
        record(ClientErased(practice=practice, actor=actor, client=client, where=where,
                            counts={k: v for k, v in erasure.counts.items() if v}))
        collector.delete()
    _forget_caches()
    return erasure


def _forget_caches() -> None:
    from stillhere.engagement.inbox import inbox_cache

    inbox_cache.store.clear()
    inbox_cache.last = None
