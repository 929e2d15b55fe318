"""Outreach: paced sequences of steps, the attempts that carry them out, and
what clients say back.

The shape follows healthchecks: an engagement StateChange is the queue, a
Sequence is what one change set in motion, and each OutreachStep is a row with
a `due` time and a plain `status` that the tick claims with a conditional
UPDATE. An OutreachAttempt is written *before* a transport is called, so a
crash leaves a visible trace instead of a silent gap or a second message.
"""

import uuid
from datetime import time

from django.conf import settings
from django.db import models

from stillhere.accounts.models import Membership, Practice
from stillhere.clients.models import Client, Episode
from stillhere.engagement.models import StateChange
from stillhere.lib.crypto import EncryptedBinaryField, EncryptedCharField, EncryptedTextField

CHANNELS = (
    ("call", "Phone call"),
    ("email", "Email"),
    ("sms", "Text message"),
    ("letter", "Letter"),
)
CHANNEL_KEYS = tuple(k for k, _ in CHANNELS)
# Which of the client's consents each channel needs. A call may end in a
# voicemail, which others in the household can hear, so it needs that consent.
CONSENT_FOR = {"call": "voicemail", "email": "email", "sms": "sms", "letter": "letter"}
# Channels that others may see or hear: no clinical words at all.
EXPOSED_CHANNELS = ("call", "sms")

DEFAULT_QUIET_START = time(20, 0)
DEFAULT_QUIET_END = time(9, 0)
DEFAULT_DAILY_CAP = 200
DEFAULT_MIN_GAP_HOURS = 20
DEFAULT_LINK_DAYS = 30
DEFAULT_SAFETY_ESCALATE_AT = time(17, 0)


class OutreachSettings(models.Model):
    """A practice's outreach preferences; created with defaults when first needed."""

    practice = models.OneToOneField(Practice, models.CASCADE, related_name="outreach_settings")
    # Quiet hours in the practice's time zone: nothing goes out between them.
    quiet_start = models.TimeField(default=DEFAULT_QUIET_START)
    quiet_end = models.TimeField(default=DEFAULT_QUIET_END)
    daily_cap = models.PositiveIntegerField(default=DEFAULT_DAILY_CAP)
    min_gap_hours = models.PositiveSmallIntegerField(default=DEFAULT_MIN_GAP_HOURS)
    # Step keys ("message", "closing"...) the practice lets go out without a
    # clinician's approval. Empty by default: the clinician decides.
    auto_send = models.JSONField(default=list, blank=True)
    how_to_reach = models.CharField(max_length=200, blank=True,
                                    help_text="e.g. 'call or text 01632 960 000'")
    booking_url = models.URLField(blank=True)
    # The sender line printed above the address in the envelope window. Must
    # not say "therapy" or similar: the envelope is seen by others.
    return_address = models.TextField(blank=True)
    link_days = models.PositiveSmallIntegerField(default=DEFAULT_LINK_DAYS)
    # What a stranger sees or hears: the name on a voicemail, a text, an
    # envelope window and an email's From line. Empty: the clinician's name
    # alone. Never a word that says "therapy" (checked where it is edited).
    sender_name = models.CharField(
        max_length=100, blank=True,
        help_text="The name clients' families and flatmates may see or hear, e.g. 'Riverside Practice'.")
    # The address clients reach the server at; every link sent is built on
    # it. Empty: the SITE_URL setting.
    public_url = models.URLField(blank=True, help_text="e.g. https://care.riverside.example")
    practice_phone = models.CharField(max_length=40, blank=True,
                                      help_text="The number printed on letters, e.g. 01632 960 000")
    # Safety: every safety-check script and message carries these words.
    crisis_line = models.CharField(
        max_length=300, blank=True,
        help_text="e.g. 'If you are in danger now, call 999, or 111 for urgent help.'")
    # A same-day safety check nobody has logged as "spoke" by this local hour
    # goes to the director's and admins' inbox.
    safety_escalate_at = models.TimeField(default=DEFAULT_SAFETY_ESCALATE_AT)
    safety_escalate_email = models.BooleanField(
        default=False, help_text="Also email directors and admins (a link only, no client details).")
    # Tomorrow's appointments at or above this no-show risk get a reminder
    # step (outreach/reminders.py); 0 turns reminders off.
    reminder_risk = models.PositiveSmallIntegerField(
        default=25, help_text="Offer a reminder for tomorrow's appointments whose no-show risk is at least "
                              "this many percent (0: no reminders).")

    def __str__(self) -> str:
        return f"Outreach settings for {self.practice}"

    @classmethod
    def for_practice(cls, practice) -> "OutreachSettings":
        # The tick's batch reads them once and hangs them on the practice it
        # loaded for that batch (outreach/batch.py), so every message in it
        # does not read them again.
        if (cached := getattr(practice, "_outreach_settings", None)) is not None:
            return cached
        obj, _ = cls.objects.get_or_create(practice=practice)
        return obj


class CadencePolicy(models.Model):
    """An ordered list of steps; the practice default, or an override for one
    clinician or one client. See policies.py for the step format."""

    practice = models.ForeignKey(Practice, models.CASCADE, related_name="cadence_policies")
    clinician = models.ForeignKey(Membership, models.CASCADE, null=True, blank=True)
    client = models.ForeignKey(Client, models.CASCADE, null=True, blank=True)
    steps = models.JSONField()
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["practice"], name="policy_practice_default",
                                    condition=models.Q(clinician=None, client=None)),
            models.UniqueConstraint(fields=["clinician"], name="policy_per_clinician",
                                    condition=models.Q(client=None)),
            models.UniqueConstraint(fields=["client"], name="policy_per_client"),
        ]

    def __str__(self) -> str:
        return f"Cadence policy {self.pk}"


class MessageTemplate(models.Model):
    """A practice's own wording for one template and channel; without one the
    built-in text from stillhere/channels/<channel>/templates/ is used."""

    practice = models.ForeignKey(Practice, models.CASCADE, related_name="message_templates")
    key = models.CharField(max_length=40)
    channel = models.CharField(max_length=10, choices=CHANNELS)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    updated = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["practice", "key", "channel"], name="one_template")]

    def __str__(self) -> str:
        return f"{self.key} ({self.channel})"


class Sequence(models.Model):
    """The outreach one StateChange set in motion for one episode."""

    class Kind(models.TextChoices):
        CADENCE = "cadence", "Paced outreach"
        SAFETY = "safety", "Same-day safety check"
        REMINDER = "reminder", "Appointment reminder"

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        STOPPED = "stopped", "Stopped"
        COMPLETED = "completed", "Completed"

    practice = models.ForeignKey(Practice, models.CASCADE, related_name="outreach_sequences")
    client = models.ForeignKey(Client, models.CASCADE, related_name="outreach_sequences")
    episode = models.ForeignKey(Episode, models.CASCADE, related_name="outreach_sequences")
    # One sequence per change: a second tick claiming the same change finds
    # this constraint even if the conditional UPDATE were bypassed.
    trigger = models.OneToOneField(StateChange, models.SET_NULL, null=True, blank=True,
                                   related_name="outreach_sequence")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CADENCE)
    # A reminder is for one booked appointment (outreach/reminders.py).
    appointment = models.ForeignKey("clients.Appointment", models.CASCADE, null=True, blank=True,
                                    related_name="reminders")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    stop_reason = models.CharField(max_length=200, blank=True)
    anchor = models.DateTimeField()   # the missed session or the lapse
    started = models.DateTimeField()  # when the first step could go out
    ended = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["episode", "kind"], name="one_running_sequence",
                                    condition=models.Q(status="running")),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} from {self.started:%Y-%m-%d}"


class OutreachStep(models.Model):
    """One planned contact: a call task, an email, a text or a letter."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
        APPROVED = "approved", "Approved, waiting to go"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        TO_PRINT = "to_print", "In a print batch"
        POSTED = "posted", "Posted"
        TO_CALL = "to_call", "Call to make"
        LOGGED = "logged", "Call logged"
        SKIPPED = "skipped", "Skipped"
        FAILED = "failed", "Failed"
        UNCERTAIN = "uncertain", "Uncertain — check before retrying"

    class Outcome(models.TextChoices):
        NO_ANSWER = "no_answer", "No answer"
        VOICEMAIL = "voicemail", "Voicemail left"
        SPOKE = "spoke", "Spoke with the client"

    # Statuses from which a step may still go out; stopping a sequence skips them.
    PENDING = (Status.SCHEDULED, Status.AWAITING_APPROVAL, Status.APPROVED)
    # The step reached the client (or their letterbox, or a clinician's phone).
    HANDED_OFF = (Status.SENT, Status.TO_PRINT, Status.POSTED, Status.TO_CALL, Status.LOGGED)

    code = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)
    sequence = models.ForeignKey(Sequence, models.CASCADE, related_name="steps")
    practice = models.ForeignKey(Practice, models.CASCADE, related_name="outreach_steps")
    client = models.ForeignKey(Client, models.CASCADE, related_name="outreach_steps")
    episode = models.ForeignKey(Episode, models.CASCADE, related_name="outreach_steps")
    position = models.PositiveSmallIntegerField()
    key = models.CharField(max_length=40)          # "call", "message", "letter", "closing", "safety_check"
    template = models.CharField(max_length=40)
    channel = models.CharField(max_length=10, choices=CHANNELS, blank=True)
    closing = models.BooleanField(default=False)   # ends the episode once handed off
    auto = models.BooleanField(default=False)      # practice allows sending without approval
    due = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SCHEDULED)
    skip_reason = models.CharField(max_length=200, blank=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, blank=True)
    # The draft, the call note and the override reason are encrypted at rest.
    note = EncryptedTextField(blank=True)
    subject = EncryptedCharField(max_length=200, blank=True)
    body = EncryptedTextField(blank=True)
    findings = models.JSONField(default=list, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    # Why the clinician approved a draft the tone check found problems in;
    # empty for a clean draft. One rule for every channel (actions.approve).
    override_reason = EncryptedCharField(max_length=300, blank=True)
    # The claim: a token set by the conditional UPDATE that moves the step to
    # "sending"; `attempted` is set (conditionally on the same token) in the
    # transaction that writes the attempt row, just before the transport runs.
    claim = models.UUIDField(null=True, blank=True)
    claimed = models.DateTimeField(null=True, blank=True)
    attempted = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    retry_of = models.ForeignKey("self", models.SET_NULL, null=True, blank=True, related_name="retries")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "due"]),
            models.Index(fields=["episode", "position"]),
        ]
        ordering = ["due", "id"]

    def __str__(self) -> str:
        return f"{self.key} by {self.channel or '—'} due {self.due:%Y-%m-%d %H:%M}"

    @property
    def status_text(self) -> str:
        from .words import skip_text

        if self.status == self.Status.SKIPPED and self.skip_reason:
            return f"Not sent: {skip_text(self.skip_reason)}"
        return self.get_status_display()

    @property
    def title(self) -> str:
        """What the step is, in words: "Message by email", "Phone call"."""
        from .words import step_title

        return step_title(self.key, self.channel)


class OutreachAttempt(models.Model):
    """One try at handing a step to its channel. Written with status
    "sending" before the transport is called; updated once it returns."""

    class Status(models.TextChoices):
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        UNCERTAIN = "uncertain", "Uncertain"

    code = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)
    step = models.ForeignKey(OutreachStep, models.CASCADE, related_name="attempts")
    practice = models.ForeignKey(Practice, models.CASCADE, related_name="+")
    client = models.ForeignKey(Client, models.CASCADE, related_name="outreach_attempts")
    channel = models.CharField(max_length=10, choices=CHANNELS)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SENDING)
    error = models.CharField(max_length=300, blank=True)
    # The provider's id: an email's Message-ID (known before sending), an SMS
    # provider's message sid (known once it answers or calls back).
    provider_id = models.CharField(max_length=200, blank=True, db_index=True)
    delivery = models.CharField(max_length=40, blank=True)  # last delivery receipt status
    created = models.DateTimeField()
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["client", "created"])]

    def __str__(self) -> str:
        return f"{self.channel} attempt {str(self.code)[:8]}"


class PrintBatch(models.Model):
    """Letters waiting to be printed and posted together."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        POSTED = "posted", "Posted"

    practice = models.ForeignKey(Practice, models.CASCADE, related_name="print_batches")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    created = models.DateTimeField(auto_now_add=True)
    posted = models.DateTimeField(null=True, blank=True)
    posted_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["practice"], name="one_open_batch",
                                    condition=models.Q(status="open")),
        ]

    def __str__(self) -> str:
        return f"Print batch {self.pk}"


class Letter(models.Model):
    """A rendered letter in a print batch; the PDF is kept exactly as printed."""

    step = models.OneToOneField(OutreachStep, models.CASCADE, related_name="letter")
    attempt = models.OneToOneField(OutreachAttempt, models.CASCADE, related_name="letter")
    batch = models.ForeignKey(PrintBatch, models.PROTECT, related_name="letters")
    pdf = EncryptedBinaryField()  # encrypted at rest
    created = models.DateTimeField(auto_now_add=True)


class DailyCount(models.Model):
    """Messages a practice has sent on one local day; the cap is taken with a
    conditional UPDATE so two workers cannot both take the last place."""

    practice = models.ForeignKey(Practice, models.CASCADE, related_name="+")
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["practice", "day"], name="one_count_per_day")]


class ChannelBlock(models.Model):
    """A channel that must not be used for a client any more: a hard bounce,
    an invalid number, or the client texting STOP."""

    client = models.ForeignKey(Client, models.CASCADE, related_name="channel_blocks")
    channel = models.CharField(max_length=10, choices=CHANNELS)
    reason = models.CharField(max_length=200)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "channel"], name="one_block_per_channel")]


class Reply(models.Model):
    """Something the client sent back: an email, a text, a letter or a call
    logged by staff. Any reply stops the running sequence."""

    class Source(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "Text message"
        LETTER = "letter", "Letter or card"
        CALL = "call", "Phone call"
        OTHER = "other", "Other"

    practice = models.ForeignKey(Practice, models.CASCADE, related_name="outreach_replies")
    client = models.ForeignKey(Client, models.CASCADE, related_name="outreach_replies")
    episode = models.ForeignKey(Episode, models.SET_NULL, null=True, blank=True, related_name="+")
    step = models.ForeignKey(OutreachStep, models.SET_NULL, null=True, blank=True, related_name="replies")
    source = models.CharField(max_length=8, choices=Source.choices)
    text = EncryptedTextField(blank=True)  # the client's own words: encrypted at rest
    # Provider message id (Message-ID, MessageSid): a replayed webhook with
    # the same id is recognised and changes nothing.
    provider_id = models.CharField(max_length=200, blank=True)
    logged_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True)
    received = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["practice", "provider_id"], name="reply_once",
                                    condition=~models.Q(provider_id="")),
        ]
        ordering = ["received"]


class Response(models.Model):
    """A choice made on the response page. One per link: the link's step is
    unique here, so a replayed link changes nothing."""

    class Choice(models.TextChoices):
        BOOK = "book", "I'd like to book"
        PAUSE = "pause", "I'd like to pause"
        STOP = "stop", "I'd like to stop"

    step = models.OneToOneField(OutreachStep, models.CASCADE, related_name="response")
    practice = models.ForeignKey(Practice, models.CASCADE, related_name="+")
    client = models.ForeignKey(Client, models.CASCADE, related_name="outreach_responses")
    episode = models.ForeignKey(Episode, models.CASCADE, related_name="+")
    choice = models.CharField(max_length=8, choices=Choice.choices)
    what_would_help = EncryptedTextField(blank=True)
    final_session = models.BooleanField(default=False)
    created = models.DateTimeField()


class ShortLink(models.Model):
    """A short address for one client's response page, fit to type from a
    letter or tap in a text: /l/<code>/. It names one step (so one client),
    expires with the practice's link_days, and can be revoked."""

    code = models.CharField(max_length=16, unique=True)
    step = models.OneToOneField(OutreachStep, models.CASCADE, related_name="short_link")
    practice = models.ForeignKey(Practice, models.CASCADE, related_name="+")
    client = models.ForeignKey(Client, models.CASCADE, related_name="short_links")
    created = models.DateTimeField()
    revoked = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Short link {self.code}"


class SafetyEscalation(models.Model):
    """A same-day safety check nobody logged as "spoke" by the practice's
    hour: it goes to the director's and admins' inbox (and email, where the
    practice enables it). One per safety check."""

    sequence = models.OneToOneField(Sequence, models.CASCADE, related_name="escalation")
    practice = models.ForeignKey(Practice, models.CASCADE, related_name="safety_escalations")
    client = models.ForeignKey(Client, models.CASCADE, related_name="safety_escalations")
    deadline = models.DateTimeField()     # the practice hour that passed
    created = models.DateTimeField()
    emailed = models.PositiveSmallIntegerField(default=0)

    def __str__(self) -> str:
        return f"Unresolved safety check {self.pk}"


class OutboxMessage(models.Model):
    """An email or text kept instead of sent: the demo's local outbox, so a
    newcomer sees what went out without a mail server or SMS provider."""

    channel = models.CharField(max_length=10, choices=CHANNELS)
    sender = models.CharField(max_length=300, blank=True)
    to = EncryptedCharField(max_length=300)
    subject = EncryptedCharField(max_length=300, blank=True)
    body = EncryptedTextField()
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]

    @classmethod
    def to_any(cls, addresses) -> list["OutboxMessage"]:
        """The messages kept for any of these addresses or numbers. The
        recipient is stored encrypted (random ciphertext), so it is compared
        after reading, never in SQL; the outbox is a demo's, small by nature."""
        wanted = {a for a in addresses if a}
        if not wanted:
            return []
        return [m for m in cls.objects.order_by("created", "id") if m.to in wanted]
