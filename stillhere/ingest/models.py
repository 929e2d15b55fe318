"""An import started from the web: who, what kind, how it went.

The uploaded files live in a private folder under the data dir only until
the import has run; the report (counts and problems) stays with the run.
"""

import uuid

from django.conf import settings
from django.db import models

from stillhere.accounts.models import Practice
from stillhere.clients.models import Appointment
from stillhere.lib.crypto import EncryptedJSONField


class ImportRun(models.Model):
    class Status(models.TextChoices):
        UPLOADED = "uploaded", "Uploaded, not yet imported"
        RUNNING = "running", "Running"
        IMPORTED = "imported", "Imported"
        CHECKED = "checked", "Checked (nothing written)"
        REJECTED = "rejected", "Rejected (nothing written)"
        FAILED = "failed", "Stopped before it finished (nothing written)"

    class Kind(models.TextChoices):
        CSV = "csv", "CSV export"
        FHIR = "fhir", "FHIR R4"
        ICS = "ics", "Calendar (.ics)"

    practice = models.ForeignKey(Practice, models.CASCADE, related_name="import_runs")
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    options = models.JSONField(default=dict)   # file names, preset, calendar rule
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.UPLOADED)
    dry_run = models.BooleanField(default=False)
    report = EncryptedJSONField(null=True, blank=True)  # problems name values: encrypted at rest
    created = models.DateTimeField(auto_now_add=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} import {self.created:%Y-%m-%d %H:%M}"


class AppointmentSignal(models.Model):
    """A fact of an appointment that the practice's export holds and the
    generic columns do not (a text reminder received, reminders sent),
    named in the mapping file's [appointments.signals]. Yes/no is 1/0.

    Read only by the practice's fitted no-show score (risk/calibration.py),
    which learns from the practice's own history whether it counts; the
    standard score never reads one.
    """

    practice = models.ForeignKey(Practice, models.CASCADE, related_name="+")
    appointment = models.ForeignKey(Appointment, models.CASCADE, related_name="signals")
    name = models.CharField(max_length=40)
    value = models.FloatField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["appointment", "name"], name="appointment_signal_once")]
        indexes = [models.Index(fields=["practice", "name"])]
