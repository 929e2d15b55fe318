"""Replies and delivery receipts from outside: an inbound email (webhook or
a mail server's pipe), an SMS provider's inbound-message and status webhooks.

Each finds the right client from something we sent (the +tag of the reply
address, In-Reply-To, the number we texted), records the reply once (by the
provider's message id, so a replay changes nothing) and stops the sequence.
"""

import email
import email.policy
import hashlib
import hmac
import re
import time
from dataclasses import dataclass

from django.conf import settings

from stillhere.lib.crypto import blind_index

from . import actions
from .models import ChannelBlock, OutreachAttempt, OutreachStep, Reply
from .sending import after_handoff
from .sequences import stop_sequences

MAX_EMAIL_BYTES = 256 * 1024
MAX_SMS_BYTES = 16 * 1024
SIGNATURE_TOLERANCE = 300  # seconds either side of the signed timestamp
TAG_RE = re.compile(r"\+([0-9a-f]{32})@", re.I)
STOP_WORDS = {"stop", "stopall", "unsubscribe", "cancel", "end", "quit"}


@dataclass
class Result:
    ok: bool
    status: int
    message: str


def sign_email_webhook(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def verify_email_webhook(headers, body: bytes, *, clock=time.time) -> Result | None:
    """None when the signature is good; otherwise the error to answer with."""
    secret = getattr(settings, "INBOUND_EMAIL_SECRET", "")
    if not secret:
        return Result(False, 503, "Inbound email is not set up (INBOUND_EMAIL_SECRET).")
    ts, sig = headers.get("X-Stillhere-Timestamp", ""), headers.get("X-Stillhere-Signature", "")
    if not ts.isdigit() or not sig:
        return Result(False, 400, "Missing X-Stillhere-Timestamp or X-Stillhere-Signature header.")
    if abs(clock() - int(ts)) > SIGNATURE_TOLERANCE:
        return Result(False, 403, "The signature's timestamp is too old or in the future (replayed request?).")
    if not hmac.compare_digest(sig, sign_email_webhook(secret, int(ts), body)):
        return Result(False, 403, "The signature does not match the body.")
    return None


def _text_of(msg) -> str:
    part = msg.get_body(preferencelist=("plain",)) if msg.is_multipart() else msg
    try:
        text = part.get_content() if part is not None else ""
    except (LookupError, ValueError):
        text = ""
    # Keep the client's own words, not the quoted message below them.
    lines = [line for line in str(text).splitlines() if not line.startswith(">")]
    return "\n".join(lines).strip()


def _attempt_for(msg) -> OutreachAttempt | None:
    for header in ("To", "Delivered-To", "X-Original-To", "Cc"):
        for value in msg.get_all(header, []):
            if m := TAG_RE.search(str(value)):
                found = OutreachAttempt.objects.filter(code=m.group(1).lower()).first()
                if found:
                    return found
    refs = " ".join(str(msg.get(h, "")) for h in ("In-Reply-To", "References"))
    for ref in re.findall(r"<[^<>\s]+>", refs):
        found = OutreachAttempt.objects.filter(provider_id=ref, channel="email").first()
        if found:
            return found
    return None


def receive_email(raw: bytes, now) -> Result:
    if len(raw) > MAX_EMAIL_BYTES:
        return Result(False, 413, f"The message is larger than {MAX_EMAIL_BYTES // 1024} KB; nothing was recorded.")
    if not raw.strip():
        return Result(False, 400, "The body is empty: expected a whole email message (RFC 5322).")
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
    except Exception:
        return Result(False, 400, "The body could not be read as an email message.")
    if not msg.get("From"):
        return Result(False, 400, "The message has no From header; is it a whole email (RFC 5322)?")
    attempt = _attempt_for(msg)
    if attempt is None:
        return Result(True, 200, "No outreach message matches this reply; it was not attached to anyone.")
    step = OutreachStep.objects.select_related("client__practice", "episode").get(id=attempt.step_id)
    msg_id = str(msg.get("Message-ID", "")).strip() or "sha256:" + hashlib.sha256(raw).hexdigest()
    reply = actions.log_reply(step.client, Reply.Source.EMAIL, now, text=_text_of(msg), provider_id=msg_id,
                              step=step)
    if reply is None:
        return Result(True, 200, "This reply was already recorded; nothing changed.")
    return Result(True, 200, "Reply recorded and outreach stopped.")


def receive_sms(params: dict, now) -> Result:
    from stillhere.channels.sms.providers import get_provider

    sms = get_provider().parse_inbound(params)
    if not sms.sender or not sms.message_id:
        return Result(False, 400, "Missing From or MessageSid.")
    # The number is encrypted at rest: matched on its blind index (a keyed
    # digest of the normalised number), never on the stored ciphertext.
    digest = blind_index("phone", sms.sender)
    attempts = OutreachAttempt.objects.filter(channel="sms", client__phone_index=digest) if digest else \
        OutreachAttempt.objects.none()
    clients = set(attempts.values_list("practice_id", "client_id").distinct()[:2])
    if not clients:
        return Result(True, 200, "No outreach text went to this number; nothing was attached.")
    if len(clients) > 1:
        # One number texted for two clients (a shared family phone, or the
        # same number in two practices): guessing could stop the wrong
        # person's outreach or show their words to the wrong practice.
        return Result(True, 200, "Texts to this number went to more than one client; the reply was not "
                                 "attached to anyone. Please ask the client to reply by email or phone.")
    attempt = attempts.select_related("step").order_by("-created").first()
    step = OutreachStep.objects.select_related("client__practice", "episode").get(id=attempt.step_id)
    reply = actions.log_reply(step.client, Reply.Source.SMS, now, text=sms.body, provider_id=sms.message_id,
                              step=step)
    if reply is None:
        return Result(True, 200, "This text was already recorded; nothing changed.")
    if sms.body.strip().lower() in STOP_WORDS:
        ChannelBlock.objects.get_or_create(client=step.client, channel="sms",
                                           defaults={"reason": "the client texted STOP"})
        stop_sequences(step.episode, "the client texted STOP", now)
    return Result(True, 200, "Reply recorded and outreach stopped.")


def delivery_status(code, params: dict, now) -> Result:
    """A delivery receipt for one attempt. Unknown codes are answered 200 so
    the provider stops retrying; a receipt confirming an uncertain attempt
    settles it (the provider has the message, so it must not be sent again)."""
    from stillhere.channels.sms.providers import get_provider

    attempt = OutreachAttempt.objects.filter(code=code).select_related("step").first()
    if attempt is None:
        return Result(True, 200, "Unknown message; ignored.")
    status = get_provider().parse_status(params)
    fields = {"delivery": status.status[:40]}
    if status.message_id and not attempt.provider_id:
        fields["provider_id"] = status.message_id[:200]
    if status.failed:
        fields["error"] = f"The provider reports the text was {status.status}"
    OutreachAttempt.objects.filter(id=attempt.id).update(**fields)
    if not status.failed and attempt.status in (OutreachAttempt.Status.UNCERTAIN, OutreachAttempt.Status.SENDING):
        S = OutreachStep.Status
        OutreachAttempt.objects.filter(id=attempt.id).update(status=OutreachAttempt.Status.SENT, finished=now)
        if OutreachStep.objects.filter(id=attempt.step_id, status__in=[S.UNCERTAIN, S.SENDING]).update(
                status=S.SENT, finished=now) == 1:
            step = OutreachStep.objects.select_related("sequence", "practice").get(id=attempt.step_id)
            after_handoff(step, now)
    return Result(True, 200, "Status recorded.")
