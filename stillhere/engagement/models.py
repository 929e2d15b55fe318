"""Every change of an episode's engagement state, with its reason and time.

A StateChange row is both the history (the client timeline, analytics) and
the outreach queue: the outreach tick claims unprocessed rows whose new state
calls for contact (missed, lapsed, safety_check) with a conditional UPDATE on
`processed`, as healthchecks' sendalerts claims a Flip.
"""

from django.db import models

from stillhere.accounts.models import Membership, Practice
from stillhere.clients.models import Episode
from stillhere.lib.crypto import EncryptedTextField


class StateChange(models.Model):
    class Source(models.TextChoices):
        SCAN = "scan", "Engagement scan"
        OUTREACH = "outreach", "Outreach"
        CLINICIAN = "clinician", "Clinician override"
        CLIENT = "client", "Client response"
        IMPORT = "import", "Import"

    practice = models.ForeignKey(Practice, models.CASCADE, related_name="state_changes")
    episode = models.ForeignKey(Episode, models.CASCADE, related_name="state_changes")
    old_state = models.CharField(max_length=20, choices=Episode.State.choices, blank=True)
    new_state = models.CharField(max_length=20, choices=Episode.State.choices)
    # A short code for machines ("no_show", "late_cancel", "gap_beyond_cadence",
    # "safety_no_show", "reply", "override"...) and the same reason in words.
    reason = models.CharField(max_length=40)
    detail = models.CharField(max_length=300, blank=True)
    # When the change took effect in the client's history (e.g. the missed
    # session's start), which can be earlier than when we noticed it.
    at = models.DateTimeField()
    created = models.DateTimeField(auto_now_add=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.SCAN)
    by = models.ForeignKey(Membership, models.SET_NULL, null=True, blank=True)
    note = EncryptedTextField(blank=True)  # clinician's override note (encrypted at rest)
    # Set once by the outreach tick when it has acted on this change.
    processed = models.DateTimeField(null=True, blank=True)
    # A missed session with a current safety concern needs a same-day check.
    safety_check = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["episode", "at"]),
            models.Index(fields=["processed"], name="statechange_unprocessed",
                         condition=models.Q(processed__isnull=True)),
        ]
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.old_state or '—'} → {self.new_state} ({self.reason})"


class PlannedBreak(models.Model):
    """A pause the client and clinician agreed on (holiday, hospital stay, a
    client's own "I'd like to pause"). No lapse is raised during a break."""

    practice = models.ForeignKey(Practice, models.CASCADE, related_name="planned_breaks")
    episode = models.ForeignKey(Episode, models.CASCADE, related_name="planned_breaks")
    starts = models.DateField()
    ends = models.DateField()
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(Membership, models.SET_NULL, null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts"]

    def __str__(self) -> str:
        return f"Break {self.starts} to {self.ends}"


class ScanTarget(models.Model):
    """The clients a rescan is restricted to (rescan.py), for the length of
    its own transaction only.

    A rescan writes its clients here, runs the scan's one query restricted to
    `client_id IN (SELECT client_id FROM this table)`, and deletes them again
    before its transaction ends. Other transactions never see uncommitted
    rows, so concurrent rescans cannot see each other's targets, and the
    compiled query stays the same whatever the clients are (features/
    compiled.py compiles it once; a query with the ids written into it would
    be compiled afresh, about a second, on every rescan)."""

    client_id = models.BigIntegerField()


class ScanStatus(models.Model):
    """When a practice's engagement states were last brought up to date: the
    whole practice (the morning run) and the latest rescan of a few clients
    after a change. One row per practice, shown on the inbox as "Last checked"."""

    practice = models.OneToOneField(Practice, models.CASCADE, related_name="scan_status")
    full_at = models.DateTimeField(null=True, blank=True)
    rescan_at = models.DateTimeField(null=True, blank=True)
    # What prompted the latest rescan, in words ("after an import").
    rescan_why = models.CharField(max_length=80, blank=True)
    rescan_clients = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"Scan status of practice {self.practice_id}"
