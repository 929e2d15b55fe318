from django.conf import settings
from django.db import models

from stillhere.accounts.models import Practice


class AppendOnlyError(Exception):
    pass


class AuditEvent(models.Model):
    """One read or write of client data: who, what, which client, when.

    Append-only. Rows are never updated or deleted by the application; save()
    refuses an update and delete() refuses outright, so the trail can be
    trusted in a complaint or a breach review. `data` never holds free text
    from clinical notes, only ids and short codes.
    """

    practice = models.ForeignKey(Practice, models.PROTECT, related_name="audit_events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True)
    verb = models.CharField(max_length=40)
    client = models.ForeignKey("clients.Client", models.SET_NULL, null=True, blank=True, db_constraint=False)
    target_type = models.CharField(max_length=40, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["practice", "created"]), models.Index(fields=["client", "created"])]

    def __str__(self) -> str:
        return f"{self.verb} at {self.created:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnlyError("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit events cannot be deleted.")
