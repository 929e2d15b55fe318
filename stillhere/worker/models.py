"""What `stillhere worker` keeps in the database: who may act, and what ran.

Both are plain rows so that two machines pointed at the same database need
nothing else to agree: the Lease row says which worker acts now, and a Run
row per job and slot ("the tick of 06:01", "Riverside's scan of 10 March")
makes a slot run once, whoever gets there first. Neither holds client data.
"""

from django.db import models


class Lease(models.Model):
    """The right to act, held by one worker until `expires`.

    Claimed and renewed with a conditional UPDATE (lease.py): a worker takes
    it only if it already holds it or the holder let it lapse.
    """

    name = models.CharField(max_length=40, unique=True)
    holder = models.CharField(max_length=120, blank=True)   # host:pid:random, never a person
    expires = models.DateTimeField(null=True, blank=True)
    since = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"lease {self.name} held by {self.holder or 'nobody'}"


class Run(models.Model):
    """One run of one job for one slot; unique, so a slot runs once."""

    class Job(models.TextChoices):
        TICK = "tick", "Outreach tick"
        SCAN = "scan", "Morning scan"
        HOUSEKEEPING = "housekeeping", "Expiries and retention"

    job = models.CharField(max_length=20, choices=Job.choices)
    # The practice's id for a per-practice job, "" for one of the whole install
    # (a string, because NULLs never collide in a unique constraint).
    scope = models.CharField(max_length=20, blank=True)
    slot = models.CharField(max_length=20)          # "2026-03-10T06:01" (UTC minute) or "2026-03-10" (a day)
    worker = models.CharField(max_length=120)
    started = models.DateTimeField()                # the worker's clock (moved in rehearsals and tests)
    finished = models.DateTimeField(null=True, blank=True)
    ok = models.BooleanField(null=True)             # null while running
    attempts = models.PositiveSmallIntegerField(default=1)
    summary = models.CharField(max_length=200, blank=True)   # counts and times only
    seconds = models.FloatField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "scope", "slot"], name="one_run_per_slot")]
        indexes = [models.Index(fields=["job", "started"])]

    def __str__(self) -> str:
        return f"{self.job} {self.scope} {self.slot}"
