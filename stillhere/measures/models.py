"""Scores from questionnaires: session ratings (SRS), outcome ratings (ORS),
PHQ-9, GAD-7 and practice-defined instruments.

One row per completed questionnaire. `items` keeps the item answers when we
have them (needed for PHQ-9 item 9, the safety item); `total` is always
stored, already scored and validated by the instrument registry.
"""

from django.db import models

from stillhere.accounts.models import Practice
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
