"""API tokens, idempotent requests, scans started through the API, and
outgoing webhooks with their deliveries.

A token's secret is shown once and stored only as its SHA-256 digest: the
secret is 32 random bytes, so a slow password hash would add nothing but
latency to every request.
"""

import hashlib
import secrets
import uuid

from django.conf import settings
from django.db import models

from stillhere.accounts.models import Membership, Practice

TOKEN_PREFIX = "sh_"
WEBHOOK_EVENTS = (
    ("state.changed", "An episode's engagement state changed"),
    ("safety_check.opened", "A same-day safety check was opened"),
    ("reply.received", "A client's reply was received"),
    ("episode.ended", "An episode of care ended"),
)
WEBHOOK_EVENT_KEYS = tuple(k for k, _ in WEBHOOK_EVENTS)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token that acts as one member of one practice.

    Personal tokens belong to the person who made them; a service token
    belongs to a service member an admin created for an integration, with
    the role the admin chose. Either way the token sees exactly what its
    member sees on the web.
    """

    class Kind(models.TextChoices):
        PERSONAL = "personal", "Personal"
        SERVICE = "service", "Service (an integration)"

    membership = models.ForeignKey(Membership, models.CASCADE, related_name="api_tokens")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PERSONAL)
    name = models.CharField(max_length=100)
    # The first characters of the secret, shown so a person can tell tokens apart.
    prefix = models.CharField(max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    expires = models.DateTimeField(null=True, blank=True)
    last_used = models.DateTimeField(null=True, blank=True)
    revoked = models.DateTimeField(null=True, blank=True)
    # The current rate-limit window (one minute) and the requests in it.
    window = models.DateTimeField(null=True, blank=True)
    window_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, membership, name: str, *, kind=Kind.PERSONAL, expires=None, created_by=None):
        """Create a token; returns (token, secret). The secret is never stored."""
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(membership=membership, kind=kind, name=name.strip()[:100],
                                   prefix=secret[:len(TOKEN_PREFIX) + 6], digest=digest(secret),
                                   expires=expires, created_by=created_by)
        return token, secret

    def is_usable(self, now) -> bool:
        return self.revoked is None and (self.expires is None or self.expires > now)


class IdempotentRequest(models.Model):
    """A creating POST sent with an Idempotency-Key, and the answer it got,
    so a retried request (a timeout, a crashed script) creates nothing twice."""

    token = models.ForeignKey(ApiToken, models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    fingerprint = models.CharField(max_length=64)   # method, path and body
    status = models.PositiveSmallIntegerField(null=True, blank=True)  # None while the first one runs
    response = models.JSONField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["token", "key"], name="one_request_per_key")]


class ScanRun(models.Model):
    """A scan of a practice started through the API, polled until done."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    practice = models.ForeignKey(Practice, models.CASCADE, related_name="+")
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    episodes = models.PositiveIntegerField(default=0)
    changes = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)
    finished = models.DateTimeField(null=True, blank=True)


class WebhookEndpoint(models.Model):
    """An HTTPS address a practice's integration listens on.

    Events are found after the fact from StateChange and Reply rows (ids
    above `after_change` / `after_reply`), so nothing in the engagement or
    outreach code has to know that webhooks exist, and a crash loses none.
    """

    practice = models.ForeignKey(Practice, models.CASCADE, related_name="webhook_endpoints")
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=100)  # HMAC key, shown once; the receiver keeps a copy
    events = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    after_change = models.BigIntegerField(default=0)
    after_reply = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"Webhook {self.code}"


class WebhookDelivery(models.Model):
    """One event for one endpoint, and every try at delivering it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Gave up"

    endpoint = models.ForeignKey(WebhookEndpoint, models.CASCADE, related_name="deliveries")
    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event = models.CharField(max_length=40)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.JSONField(default=list)   # [{"at", "status_code", "error", "ms"}]
    next_attempt = models.DateTimeField()
    created = models.DateTimeField(auto_now_add=True)
    delivered = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "next_attempt"])]
        ordering = ["id"]
