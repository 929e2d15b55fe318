"""The rupture review after an ending without goodbye, and what may leave it.

A review belongs to the clinician who wrote it: nobody else sees it, not
even a director (permissions are by author, and every other member gets a
404). Its free text is encrypted at rest. The only thing that can leave it
is a consultation summary the author produces and chooses to share, with
names, places, contact details and real dates taken out.
"""

from django.db import models

from stillhere.accounts.models import Membership, Practice
from stillhere.clients.models import Episode

from stillhere.lib.crypto import EncryptedTextField


class Reflection(models.Model):
    class Safety(models.TextChoices):
        SAFE = "safe", "They seemed to feel safe with me"
        MIXED = "mixed", "Safe at times, not at others"
        UNSAFE = "unsafe", "I think they did not feel safe"
        UNSURE = "unsure", "I don't know"

    class Named(models.TextChoices):
        NAMED = "named", "Yes, we talked about it"
        PARTLY = "partly", "I touched on it, not fully"
        NOT_NAMED = "not_named", "No, it was not named"
        NONE = "none", "I did not notice a rupture"

    class Progress(models.TextChoices):
        YES = "yes", "Yes, they said or showed it"
        PARTLY = "partly", "Partly"
        NO = "no", "No"
        UNSURE = "unsure", "I don't know"

    class Fit(models.TextChoices):
        NO = "no", "No, this work fitted"
        MODALITY = "modality", "Another approach might have fitted better"
        REFERRAL = "referral", "A referral (another service or specialist)"
        COACHING = "coaching", "Something less clinical (coaching, a group, peer support)"
        UNSURE = "unsure", "I don't know"

    practice = models.ForeignKey(Practice, models.CASCADE, related_name="+")
    episode = models.ForeignKey(Episode, models.CASCADE, related_name="reflections")
    author = models.ForeignKey(Membership, models.CASCADE, related_name="reflections")
    last_sessions = EncryptedTextField(blank=True)
    safety = models.CharField(max_length=10, choices=Safety.choices, blank=True)
    safety_note = EncryptedTextField(blank=True)
    ruptures = EncryptedTextField(blank=True)
    rupture_named = models.CharField(max_length=10, choices=Named.choices, blank=True)
    progress = models.CharField(max_length=10, choices=Progress.choices, blank=True)
    progress_note = EncryptedTextField(blank=True)
    other_fit = models.CharField(max_length=10, choices=Fit.choices, blank=True)
    other_fit_note = EncryptedTextField(blank=True)
    differently = EncryptedTextField(blank=True)
    complete = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["episode", "author"], name="one_reflection_per_author")]

    def __str__(self) -> str:
        return f"Reflection {self.pk}"


class ConsultationSummary(models.Model):
    """A de-identified summary of one reflection, shared for peer consultation."""

    practice = models.ForeignKey(Practice, models.CASCADE, related_name="+")
    reflection = models.ForeignKey(Reflection, models.CASCADE, related_name="summaries")
    text = EncryptedTextField()
    # Who read it, with the words that might still identify marked, and said it could go.
    reviewed_by = models.ForeignKey(Membership, models.SET_NULL, null=True, blank=True, related_name="+")
    marked_words = models.PositiveIntegerField(default=0)   # how many were marked when it was shared
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"Consultation summary {self.pk}"
