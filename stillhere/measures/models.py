"""Scores from questionnaires: session ratings (SRS), outcome ratings (ORS),
PHQ-9, GAD-7 and practice-defined instruments.

One row per completed questionnaire. `items` keeps the item answers when we
have them (needed for PHQ-9 item 9, the safety item); `total` is always
stored, already scored and validated by the instrument registry.
"""

from django.db import models

from stillhere.accounts.models import Membership, Practice
from stillhere.clients.models import Appointment, Client, Episode


class MeasureResult(models.Model):
    practice = models.ForeignKey(Practice, models.CASCADE, related_name="measure_results")
    client = models.ForeignKey(Client, models.CASCADE, related_name="measure_results")
    episode = models.ForeignKey(Episode, models.SET_NULL, null=True, blank=True, related_name="measure_results")
    appointment = models.ForeignKey(Appointment, models.SET_NULL, null=True, blank=True,
                                    related_name="measure_results")
    instrument = models.CharField(max_length=40)      # registry code: "SRS", "ORS", "PHQ-9", "GAD-7", ...
    taken_on = models.DateField()
    taken_at = models.DateTimeField(null=True, blank=True)
    items = models.JSONField(null=True, blank=True)   # list of item scores, in item order
    total = models.FloatField()
    external_id = models.CharField(max_length=100, blank=True)
    source = models.CharField(max_length=20, default="manual")  # manual, csv, fhir, simulator, api
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["practice", "external_id"], name="measure_external_id",
                                    condition=~models.Q(external_id="")),
        ]
        indexes = [models.Index(fields=["client", "instrument", "taken_on"])]
        ordering = ["taken_on", "id"]

    def __str__(self) -> str:
        return f"{self.instrument} {self.total:g} on {self.taken_on}"


class PracticeMeasures(models.Model):
    """A practice's own measures settings, kept as the TOML text it declared.

    The text is the source of truth (custom instruments, reliable-change
    overrides, alert thresholds, the check-in interval; see custom.py) and is
    validated before it is stored, so a practice can keep it in version
    control and load it again with `stillhere instruments --load`.
    """

    practice = models.OneToOneField(Practice, models.CASCADE, related_name="measures_settings")
    toml = models.TextField(blank=True)
    updated = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(Membership, models.SET_NULL, null=True, blank=True, related_name="+")

    def __str__(self) -> str:
        return f"Measures settings for {self.practice}"


class CheckinInterval(models.Model):
    """A shorter check-in interval for one client, set by their clinician
    (after a rupture, say). Without a row the practice default applies."""

    client = models.OneToOneField(Client, models.CASCADE, related_name="checkin_interval")
    every_sessions = models.PositiveSmallIntegerField()
    set_by = models.ForeignKey(Membership, models.SET_NULL, null=True, blank=True, related_name="+")
    updated = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Check in every {self.every_sessions} sessions"
