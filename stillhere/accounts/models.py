"""Practices and who works in them.

The practice is the tenancy boundary: every query for client data starts from
the requesting member's practice, and the member's role decides how much of
it they see (see permissions.py).
"""

import zoneinfo
from datetime import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from stillhere.engagement.defaults import (DEFAULT_LAPSE_FACTOR, DEFAULT_LONG_SILENCE_DAYS, DEFAULT_OUTCOME_DAYS,
                                          DEFAULT_WAITING_DAYS)


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone (e.g. Europe/London).")


class Practice(models.Model):
    """A solo therapist's or a group's practice; owns clients and members."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    # Times are stored in UTC; the practice's zone is used for display, for
    # "local" times in imports and for quiet hours.
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    waiting_days = models.PositiveSmallIntegerField(
        default=DEFAULT_WAITING_DAYS, validators=[MinValueValidator(1), MaxValueValidator(7)],
        help_text="Days to wait after a missed session before reaching out (1-7).")
    lapse_factor = models.FloatField(
        default=DEFAULT_LAPSE_FACTOR, validators=[MinValueValidator(1.2), MaxValueValidator(6.0)],
        help_text="A gap this many times the client's usual gap, with nothing booked, is a lapse.")
    outcome_days = models.PositiveSmallIntegerField(
        default=DEFAULT_OUTCOME_DAYS, validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text="Days a past session with no recorded outcome waits for one before it counts as usual "
                  "(1-30). Until then it is not a miss and starts no outreach.")
    long_silence_days = models.PositiveSmallIntegerField(
        default=DEFAULT_LONG_SILENCE_DAYS, validators=[MinValueValidator(30), MaxValueValidator(1000)],
        help_text="In an import without episode ids, a session this many days after the last one attended, with "
                  "nothing booked between, starts a new episode; the earlier one ended without goodbye (30-1000).")
    # Demographics enter a score only when the practice chooses: age is a
    # known no-show signal, but using it is the practice's decision.
    age_in_noshow_risk = models.BooleanField(
        default=False, help_text="Let a client's age (from the birth date) count in the chance of a missed session.")
    # When `stillhere worker` runs the morning scan, in the practice's zone:
    # before the first clinician opens the inbox.
    morning_scan_at = models.TimeField(
        default=time(6, 0), help_text="Local time each morning when the day's list of who needs attention is made.")
    # Directors and admins always pass a second step at sign-in (a code from an
    # authenticator app); this asks it of everyone (stillhere/accounts/twostep.py).
    require_two_step = models.BooleanField(
        default=False, help_text="Everyone here must use the second step at sign-in (a code from an "
                                 "authenticator app), not only directors and admins.")
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class Membership(models.Model):
    """A person's place in a practice, and their role there."""

    class Role(models.TextChoices):
        CLINICIAN = "clinician", "Clinician"      # own caseload only
        DIRECTOR = "director", "Clinical director"  # whole practice
        ADMIN = "admin", "Practice admin"         # whole practice, settings
        CONSULTANT = "consultant", "Consultant"   # de-identified material only

    practice = models.ForeignKey(Practice, models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CLINICIAN)
    display_name = models.CharField(max_length=200, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["practice", "user"], name="one_membership_per_practice"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.display_name or self.user.get_full_name() or self.user.username

    @property
    def sees_whole_practice(self) -> bool:
        return self.role in (self.Role.DIRECTOR, self.Role.ADMIN)

    @property
    def sees_identifiable_clients(self) -> bool:
        return self.role != self.Role.CONSULTANT
