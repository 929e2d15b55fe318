"""What the clinician's desk stores of its own: risk reviews.

A high dropout risk or a cancellation not yet rebooked is not an event the
clinician can "resolve" the way they approve a draft. They can say they have
seen it and will raise it; the inbox then stops showing it until the reason
changes, the episode's state changes, or two weeks pass.
"""

from django.db import models

from stillhere.accounts.models import Membership, Practice
from stillhere.clients.models import Episode


class RiskReview(models.Model):
    practice = models.ForeignKey(Practice, models.CASCADE, related_name="+")
    episode = models.ForeignKey(Episode, models.CASCADE, related_name="risk_reviews")
    by = models.ForeignKey(Membership, models.SET_NULL, null=True, related_name="+")
    # The inbox's reason in words when it was reviewed: a different reason
    # later is something new, and the item comes back.
    reason = models.CharField(max_length=300)
    note = models.TextField(blank=True)
    created = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["episode", "created"])]
        ordering = ["created"]

    def __str__(self) -> str:
        return f"Risk reviewed {self.created:%Y-%m-%d}"
