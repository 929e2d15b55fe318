"""Clients, their episodes of care, appointments and session markers.

Engagement belongs to an *episode*, not to the client: a client can end
therapy without goodbye and come back years later, and the return starts a
new episode linked to the old one so the history is at hand.
"""

import uuid

from django.db import models
from django.db.models.functions import Now
from django.utils import timezone

from stillhere.accounts.models import Membership, Practice
from stillhere.lib.crypto import BlindIndexField, EncryptedCharField, EncryptedTextField, blind_index

STYLE_FLAGS = (
    ("avoidant", "Avoidant"),
    ("conflict_avoidant", "Conflict-avoidant"),
    ("people_pleasing", "People-pleasing"),
)
STYLE_FLAG_KEYS = tuple(k for k, _ in STYLE_FLAGS)


# What the name index (name_index.py) is made from: a write that changes any
# of these rewrites the client's name digests.
NAME_SOURCES = frozenset({"first_name", "last_name", "preferred_name", "external_id"})


def record_digest(external_id: str) -> str:
    """The blind index of a record number, exactly as written."""
    return blind_index("record", external_id)


class ClientQuerySet(models.QuerySet):
    """Clients, found by record number through its blind index, with the
    name index kept in step by the bulk writes that skip save()."""

    def with_record_number(self, external_id: str):
        return self.filter(external_id_index=record_digest(external_id)) if external_id else self.none()

    def with_record_numbers(self, external_ids):
        return self.filter(external_id_index__in=[record_digest(x) for x in external_ids if x])

    def bulk_create(self, objs, *args, **kwargs):
        from .name_index import index_clients

        objs = list(objs)
        made = super().bulk_create(objs, *args, **kwargs)
        index_clients(objs, fresh=not kwargs.get("ignore_conflicts") and not kwargs.get("update_conflicts"))
        return made

    def bulk_update(self, objs, fields, *args, **kwargs):
        from .name_index import index_clients

        objs = list(objs)
        n = super().bulk_update(objs, fields, *args, **kwargs)
        if NAME_SOURCES & set(fields):
            index_clients(objs)
        return n

    def update(self, **kwargs):
        from .name_index import index_clients

        if not NAME_SOURCES & kwargs.keys():
            return super().update(**kwargs)
        ids = list(self.values_list("pk", flat=True))
        n = super().update(**kwargs)
        index_clients(Client.objects.filter(pk__in=ids))
        return n


class Client(models.Model):
    """A person in therapy with the practice, across all their episodes."""

    practice = models.ForeignKey(Practice, models.CASCADE, related_name="clients")
    # Public, unguessable id for URLs: no external ids or names in addresses.
    code = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)
    # Names and the record number are encrypted at rest like the contact
    # details. The record number is matched (imports, the API, the commands)
    # on its blind index, which is also what keeps it unique in the
    # practice: `external_id="c-01"` compares digests on external_id_index.
    # Names and the record number are searched through the name index
    # (NameDigest, kept by name_index.py on every write).
    external_id = EncryptedCharField(max_length=100, matched_by="external_id_index")
    external_id_index = BlindIndexField(source="external_id", kind="record")
    first_name = EncryptedCharField(max_length=100)
    last_name = EncryptedCharField(max_length=100, blank=True)
    preferred_name = EncryptedCharField(max_length=100, blank=True)
    pronouns = models.CharField(max_length=40, blank=True)
    birth_date = models.DateField(null=True, blank=True)

    # Contact details, notes and the emergency contact are encrypted at rest
    # (stillhere/lib/crypto.py); the phone's blind index is what an inbound
    # text is matched on, the email's what a lookup by address would use.
    email = EncryptedCharField(max_length=254, blank=True)
    phone = EncryptedCharField(max_length=40, blank=True)
    email_index = BlindIndexField(source="email", kind="email")
    phone_index = BlindIndexField(source="phone", kind="phone")
    address_line1 = EncryptedCharField(max_length=200, blank=True)
    address_line2 = EncryptedCharField(max_length=200, blank=True)
    city = EncryptedCharField(max_length=100, blank=True)
    region = EncryptedCharField(max_length=100, blank=True)
    postal_code = EncryptedCharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, blank=True)

    # Each channel needs its own consent; nothing is sent on a channel the
    # client has not agreed to.
    consent_email = models.BooleanField(default=False)
    consent_sms = models.BooleanField(default=False)
    consent_voicemail = models.BooleanField(default=False)
    consent_letter = models.BooleanField(default=False)
    do_not_contact = models.BooleanField(default=False)

    # A current safety concern turns a missed session into a same-day check.
    safety_concern = models.BooleanField(default=False)
    safety_note = EncryptedTextField(blank=True)
    safety_since = models.DateField(null=True, blank=True)
    # Shown on a safety check only, and only with the client's say-so.
    emergency_name = EncryptedCharField(max_length=200, blank=True)
    emergency_relationship = EncryptedCharField(max_length=100, blank=True)
    emergency_phone = EncryptedCharField(max_length=40, blank=True)
    emergency_consent = models.BooleanField(
        default=False, help_text="The client agreed that this person may be called if we fear for their safety.")

    style_flags = models.JSONField(default=list, blank=True)
    # Group fields a practice chose to import for the fairness report only
    # ([clients.groups] in a mapping file, e.g. {"gender": "woman"}), as JSON
    # text with sorted keys. Encrypted like every other personal detail; read
    # by the model card's fairness report (risk/fitted/rows.py) and never by
    # any score. Empty: the practice imported none.
    report_groups = EncryptedTextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)

    objects = ClientQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["practice", "external_id_index"], name="client_record_number"),
        ]

    def __str__(self) -> str:
        return self.display_name

    def save(self, *args, **kwargs):
        """A save of some fields saves the blind indexes made from them too
        (save(update_fields=["phone"]) would otherwise leave phone_index as
        it was, and texts from the new number would match nobody)."""
        fields = kwargs.get("update_fields")
        if fields is not None:
            fields = set(fields)
            fields |= {f.name for f in self._meta.concrete_fields
                       if isinstance(f, BlindIndexField) and f.source in fields}
            kwargs["update_fields"] = fields
        super().save(*args, **kwargs)

    def clean(self):
        """The record number is unique in the practice by its blind index,
        which a form does not see: checked here so the admin says so in words."""
        from django.core.exceptions import ValidationError

        super().clean()
        if self.external_id and self.practice_id and (
                Client.objects.filter(practice_id=self.practice_id).with_record_number(self.external_id)
                .exclude(pk=self.pk).exists()):
            raise ValidationError({"external_id": "Another client of this practice has this record number."})

    @property
    def display_name(self) -> str:
        first = self.preferred_name or self.first_name
        return f"{first} {self.last_name}".strip()

    @property
    def style_labels(self) -> list[str]:
        """The noted styles as words ("Conflict-avoidant"), never their keys."""
        names = dict(STYLE_FLAGS)
        return [names.get(f, str(f).replace("_", " ").capitalize()) for f in self.style_flags or []]

    def consented_channels(self) -> list[str]:
        if self.do_not_contact:
            return []
        pairs = [("email", self.consent_email and self.email), ("sms", self.consent_sms and self.phone),
                 ("voicemail", self.consent_voicemail and self.phone),
                 ("letter", self.consent_letter and self.address_line1)]
        return [kind for kind, ok in pairs if ok]


class Episode(models.Model):
    """One course of therapy with one clinician, from first session to ending."""

    class EndReason(models.TextChoices):
        PLANNED = "planned", "Planned ending"
        BY_CLIENT = "by_client", "Ended by the client"
        NO_GOODBYE = "no_goodbye", "Ended without goodbye"
        REFERRED = "referred", "Referred on"
        ADMINISTRATIVE = "administrative", "Administrative"

    class State(models.TextChoices):
        ACTIVE = "active", "Active"
        WATCH = "watch", "Watch"
        MISSED = "missed", "Missed a session"
        LAPSED = "lapsed", "Lapsed"
        REACHING_OUT = "reaching_out", "Reaching out"
        RE_ENGAGED = "re_engaged", "Re-engaged"
        ENDED_NO_GOODBYE = "ended_no_goodbye", "Ended without goodbye (door open)"
        ENDED_PLANNED = "ended_planned", "Ended as planned"
        ENDED_BY_CLIENT = "ended_by_client", "Ended by the client"
        RETURNED = "returned", "Returned"

    practice = models.ForeignKey(Practice, models.CASCADE, related_name="episodes")
    client = models.ForeignKey(Client, models.CASCADE, related_name="episodes")
    clinician = models.ForeignKey(Membership, models.PROTECT, related_name="episodes")
    external_id = models.CharField(max_length=100, blank=True)
    started = models.DateField()
    ended = models.DateField(null=True, blank=True)
    end_reason = models.CharField(max_length=16, choices=EndReason.choices, blank=True)
    previous = models.OneToOneField(
        "self", models.SET_NULL, null=True, blank=True, related_name="next_episode"
    )
    state = models.CharField(max_length=20, choices=State.choices, default=State.ACTIVE)
    state_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "external_id"], name="episode_external_id",
                condition=~models.Q(external_id=""),
            ),
        ]
        indexes = [
            models.Index(fields=["clinician", "ended"]),
            # The client list's fingerprint and its director's view: the
            # open episodes of a practice, read from the index alone.
            models.Index(fields=["practice", "clinician", "client", "id"], condition=models.Q(ended__isnull=True),
                         name="episode_open"),
        ]

    def __str__(self) -> str:
        return f"Episode {self.pk} from {self.started}"

    @property
    def is_open(self) -> bool:
        return self.ended is None


class Appointment(models.Model):
    """A booked session and what became of it."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        ATTENDED = "attended", "Attended"
        CANCELLED = "cancelled", "Cancelled with notice"
        LATE_CANCEL = "late_cancel", "Late cancel"
        NO_SHOW = "no_show", "No-show"
        CLINICIAN_CANCELLED = "clinician_cancelled", "Cancelled by clinician"
        RESCHEDULED = "rescheduled", "Rescheduled"

    class SessionType(models.TextChoices):
        INTAKE = "intake", "Intake"
        SESSION = "session", "Session"
        FINAL = "final", "Final session"

    # Statuses where the client did not come and did not give fair notice.
    MISSED = (Status.NO_SHOW, Status.LATE_CANCEL)

    practice = models.ForeignKey(Practice, models.CASCADE, related_name="appointments")
    episode = models.ForeignKey(Episode, models.CASCADE, related_name="appointments")
    external_id = models.CharField(max_length=100, blank=True)
    start = models.DateTimeField()
    booked_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    duration_min = models.PositiveSmallIntegerField(default=50)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SCHEDULED)
    minutes_late = models.PositiveSmallIntegerField(default=0)
    # Counts attended sessions only, so "session 3" means the third time the
    # client was actually in the room.
    session_number = models.PositiveSmallIntegerField(null=True, blank=True)
    session_type = models.CharField(max_length=10, choices=SessionType.choices, default=SessionType.SESSION)
    # When stillhere last wrote the row (import, API): what a sync asks for
    # with updated_since. The database default covers bulk inserts.
    updated = models.DateTimeField(default=timezone.now, db_default=Now(), db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "external_id"], name="appointment_external_id",
                condition=~models.Q(external_id=""),
            ),
        ]
        indexes = [models.Index(fields=["episode", "start"]), models.Index(fields=["practice", "start"])]
        ordering = ["start"]

    def __str__(self) -> str:
        return f"{self.get_status_display()} at {self.start:%Y-%m-%d %H:%M}"

    @property
    def was_missed(self) -> bool:
        return self.status in self.MISSED


class SessionMarker(models.Model):
    """Something the clinician noticed in a session that bears on engagement."""

    class Kind(models.TextChoices):
        HARD_SESSION = "hard_session", "Hard session"
        RUPTURE = "rupture", "Rupture noticed"
        CHECKIN = "checkin", "Check-in held"

    appointment = models.ForeignKey(Appointment, models.CASCADE, related_name="markers")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    note = EncryptedTextField(blank=True)
    created_by = models.ForeignKey(Membership, models.SET_NULL, null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.get_kind_display()


class NameDigest(models.Model):
    """One keyed digest of a word of a client's names, or of a prefix of one
    (from two letters), or of their record number: what *Find anyone*
    matches typed words against without reading anyone's name. Kept by
    name_index.py; digests are made with the blind index key, so without it
    a row says nothing but "these clients share this digest"."""

    practice = models.ForeignKey(Practice, models.CASCADE, related_name="+")
    client = models.ForeignKey(Client, models.CASCADE, related_name="name_digests")
    digest = models.CharField(max_length=32)

    class Meta:
        indexes = [models.Index(fields=["practice", "digest", "client"], name="client_name_digest")]
        verbose_name = "name search entry"
        verbose_name_plural = "name search entries"  # as an erasure counts them

    def __str__(self) -> str:
        return "A name digest"
