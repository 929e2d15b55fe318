"""Stored risk scores: the latest per episode for the inbox, and the history.

Scores are a function of the facts and the as-of time; they are stored so a
clinician can see how a client's risk moved, and so analytics can tell a
change in the model (`model_version`) from a change in the client.
"""

from django.db import models

from stillhere.accounts.models import Practice
from stillhere.clients.models import Appointment, Episode

BANDS = (("low", "Low"), ("medium", "Medium"), ("high", "High"))


class RiskScore(models.Model):
    """One scan's dropout score for one episode (history; never updated)."""

    practice = models.ForeignKey(Practice, models.CASCADE, related_name="risk_scores")
    episode = models.ForeignKey(Episode, models.CASCADE, related_name="risk_scores")
    as_of = models.DateTimeField()
    risk = models.FloatField()          # probability of ending without goodbye in 30 days
    band = models.CharField(max_length=8, choices=BANDS)
    reasons = models.JSONField(default=list)
    contributions = models.JSONField(default=dict)
    model_version = models.CharField(max_length=40)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["episode", "as_of"])]


class CurrentRisk(models.Model):
    """The latest score per episode, kept beside the history so the daily
    inbox reads one row per episode instead of searching the history."""

    episode = models.OneToOneField(Episode, models.CASCADE, primary_key=True, related_name="current_risk")
    practice = models.ForeignKey(Practice, models.CASCADE, related_name="+")
    as_of = models.DateTimeField()
    risk = models.FloatField()
    band = models.CharField(max_length=8, choices=BANDS)
    reasons = models.JSONField(default=list)
    model_version = models.CharField(max_length=40)


class NoShowRisk(models.Model):
    """One no-show probability for one booked appointment, as of a moment:
    when it was booked or changed, or a morning scan (history; never updated)."""

    class Moment(models.TextChoices):
        BOOKING = "booking", "When booked or changed"
        SCAN = "scan", "Morning scan"

    practice = models.ForeignKey(Practice, models.CASCADE, related_name="noshow_risks")
    appointment = models.ForeignKey(Appointment, models.CASCADE, related_name="noshow_risks")
    as_of = models.DateTimeField()
    moment = models.CharField(max_length=8, choices=Moment.choices, default=Moment.SCAN)
    probability = models.FloatField()
    reasons = models.JSONField(default=list)
    model_version = models.CharField(max_length=40)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["appointment", "as_of"])]


class NoShowCalibration(models.Model):
    """One fit of the no-show score to a practice's own history (risk/calibration.py):
    base rate, lead-time steps and how much the rest counts, fitted on the
    older appointments and judged on the newest. `in_use` only when it beat
    the default there; every try is kept, so the choice can be checked."""

    practice = models.ForeignKey(Practice, models.CASCADE, related_name="noshow_calibrations")
    fitted_at = models.DateTimeField()
    in_use = models.BooleanField(default=False)
    verdict = models.CharField(max_length=300)           # why it is, or is not, in use: in words
    weights = models.JSONField(default=dict)             # base, lead {step: log-odds}, rest
    n_fit = models.PositiveIntegerField(default=0)       # appointments fitted on
    n_held_out = models.PositiveIntegerField(default=0)  # the newest, judged on
    split_at = models.DateTimeField(null=True, blank=True)
    held_out = models.JSONField(default=dict)            # log loss, Brier, AUC: default and fitted
    observed_rate = models.FloatField(null=True)

    class Meta:
        indexes = [models.Index(fields=["practice", "fitted_at"])]


class FittedModel(models.Model):
    """A dropout model fitted to one practice's own history (risk/fitted).

    The fitted object itself is a file under STILLHERE_DATA_DIR (mode 0600);
    this row says what it learned from, how it did on held-out weeks beside
    the standard model, and whether the scan uses it and why."""

    practice = models.ForeignKey(Practice, models.CASCADE, related_name="fitted_models")
    version = models.CharField(max_length=40)
    kind = models.CharField(max_length=20)               # logistic / boosted / none
    fitted_at = models.DateTimeField(auto_now_add=True)
    window_start = models.DateTimeField(null=True)
    window_end = models.DateTimeField(null=True)
    features = models.JSONField(default=list)
    metrics = models.JSONField(default=dict)
    events = models.IntegerField(default=0)              # dropouts in the held-out period
    in_use = models.BooleanField(default=False)
    why = models.TextField(blank=True)
    path = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [models.Index(fields=["practice", "fitted_at"])]
