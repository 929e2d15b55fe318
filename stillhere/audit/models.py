from django.conf import settings
from django.db import models
from django.utils import timezone

from stillhere.accounts.models import Practice


class AppendOnlyError(Exception):
    pass


class AuditQuerySet(models.QuerySet):
    """Refuses every bulk change: the trail is append-only (see chain.py)."""

    def update(self, **kwargs):
        raise AppendOnlyError("Audit events cannot be changed.")

    def delete(self):
        raise AppendOnlyError("Audit events cannot be deleted.")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError("Audit events cannot be changed.")

    def bulk_create(self, objs, *args, **kwargs):
        # Each event must be chained to the one before it, one at a time.
        raise AppendOnlyError("Audit events are recorded one at a time, so each is chained to the last.")

    def update_or_create(self, *args, **kwargs):
        raise AppendOnlyError("Audit events cannot be changed.")

    _raw_delete = delete


class AuditEvent(models.Model):
    """One read or write of client data: who, what, which client, when.

    Append-only. Rows are never updated or deleted by the application: save()
    refuses an update, delete() and the QuerySet's update()/delete() refuse,
    and database triggers refuse UPDATE and DELETE from any other program
    (stillhere/audit/triggers.py). Each row is chained to the one before it
    by a keyed hash (stillhere/audit/chain.py), so `stillhere audit verify`
    finds any row edited, deleted or reordered behind the application's back.
    `data` never holds free text from clinical notes, only ids and short codes.

    `client` keeps the client's id even after the client is erased (no
    foreign key constraint, nothing done on delete), and `client_ref` is a
    keyed pseudonym of it: the trail stays whole and says "the same person"
    without saying who.
    """

    practice = models.ForeignKey(Practice, models.PROTECT, related_name="audit_events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True)
    verb = models.CharField(max_length=40)
    client = models.ForeignKey("clients.Client", models.DO_NOTHING, null=True, blank=True, db_constraint=False)
    client_ref = models.CharField(max_length=40, blank=True)
    target_type = models.CharField(max_length=40, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    # The chain: position, the previous event's hash, this event's keyed hash
    # and which key made it (so a rotated key still verifies the old rows).
    seq = models.BigIntegerField(unique=True, null=True, editable=False)
    prev_hash = models.CharField(max_length=64, blank=True, editable=False)
    hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    key_id = models.CharField(max_length=16, blank=True, editable=False)

    objects = AuditQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["practice", "created"]), models.Index(fields=["client", "created"])]

    def __str__(self) -> str:
        return f"{self.verb} at {self.created:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnlyError("Audit events cannot be changed.")
        from stillhere.audit.chain import append

        append(self, using=kwargs.get("using") or "default")

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit events cannot be deleted.")

    def _save_unchained(self, using):
        super().save(force_insert=True, using=using)


class AuditChainHead(models.Model):
    """Where the chain ends: the newest event's position and hash.

    One row. Writers lock it (or the database) before chaining a new event;
    `audit verify` compares it with the newest row to notice the newest
    events being deleted.
    """

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"audit chain at event {self.seq}"
