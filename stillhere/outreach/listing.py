"""Outreach steps as rows for `stillhere outreach list` and the web pages."""

from .models import OutreachStep
from .sending import STALE_AFTER

S = OutreachStep.Status
LABELS = {S.AWAITING_APPROVAL: "awaiting approval", S.UNCERTAIN: "uncertain — check before retrying"}


def effective_status(step, now) -> str:
    """A step still "sending" long after its claim is shown as uncertain even
    before the tick's sweep has marked it, so nobody is told it is fine."""
    if step.status == S.SENDING and step.claimed and step.claimed < now - STALE_AFTER and step.attempted:
        return S.UNCERTAIN
    return step.status


def row(step, now) -> dict:
    status = effective_status(step, now)
    attempt = max(step.attempts.all(), key=lambda a: a.created, default=None)
    return {
        "id": step.id,
        "client_id": step.client.external_id,
        "episode_id": step.episode.external_id or str(step.episode_id),
        "step": step.key,
        "channel": step.channel,
        "due": step.due.isoformat(),
        "status": status,
        "status_text": LABELS.get(status, S(status).label.lower()),
        "reason": step.skip_reason or (attempt.error if attempt and attempt.error else ""),
        "outcome": step.outcome or (attempt.delivery if attempt else ""),
        "provider_id": attempt.provider_id if attempt else "",
    }


def rows(steps, now) -> list[dict]:
    steps = steps.select_related("client", "episode").prefetch_related("attempts").order_by("due", "id")
    return [row(s, now) for s in steps]
