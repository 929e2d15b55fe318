"""What the clinician's desk stores of its own: risk reviews.

A high dropout risk or a cancellation not yet rebooked is not an event the
clinician can "resolve" the way they approve a draft. They can say they have
seen it and will raise it; the inbox then stops showing it until the reason
changes, the episode's state changes, or two weeks pass.
"""

from django.db import models

from stillhere.accounts.models import Membership, Practice
from stillhere.clients.models import Episode
from stillhere.lib.crypto import EncryptedTextField


class RiskReview(models.Model):
    practice = models.ForeignKey(Practice, models.CASCADE, related_name="+")
    episode = models.ForeignKey(Episode, models.CASCADE, related_name="risk_reviews")
    by = models.ForeignKey(Membership, models.SET_NULL, null=True, related_name="+")
    # The inbox's reason in words when it was reviewed: a different reason
    # later is something new, and the item comes back.
    reason = models.CharField(max_length=300)
    note = EncryptedTextField(blank=True)
    created = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["episode", "created"])]
        ordering = ["created"]

    def __str__(self) -> str:
        return f"Risk reviewed {self.created:%Y-%m-%d}"


class RaisedMark(models.Model):
    """"Raised at the session": a "talk about it at the next session" item the
    clinician has talked through. The item stays away until something new
    happens: a questionnaire alert dated after `fact_on`, or of a kind not in
    `kinds`."""

    practice = models.ForeignKey(Practice, models.CASCADE, related_name="+")
    episode = models.ForeignKey(Episode, models.CASCADE, related_name="raised_marks")
    by = models.ForeignKey(Membership, models.SET_NULL, null=True, related_name="+")
    # The newest alert's date and the alert kinds (alerts.py codes, space
    # separated) when it was marked: what "something new" is measured against.
    fact_on = models.DateField()
    kinds = models.CharField(max_length=200)
    created = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["episode", "created"])]
        ordering = ["created"]

    def __str__(self) -> str:
        return f"Raised {self.created:%Y-%m-%d}"
