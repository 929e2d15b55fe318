"""Cadence policies: which steps, on which channels, how many days apart.

A policy is an ordered list of steps, each a small dict:

    {"key": "message", "days": 4, "channels": ["email", "sms"], "template": "checking_in"}

- `days` counts from the start of the sequence: the end of the waiting period
  after a missed session, or the moment a lapse was noticed;
- `channels` are tried in order, and the first one the client consented to
  is used; with none, the step is recorded as skipped, never dropped silently;
- the step keyed "closing" ends the episode (without goodbye, door open) once
  it has been handed off.

The policy used for an episode is the most specific one: the client's own,
else the clinician's, else the practice's, else DEFAULT_PLAN.
"""

from django.core.exceptions import ValidationError

from .models import CHANNEL_KEYS, CadencePolicy

DEFAULT_PLAN = [
    {"key": "call", "days": 0, "channels": ["call"], "template": "first_call"},
    {"key": "message", "days": 4, "channels": ["email", "sms"], "template": "checking_in"},
    {"key": "letter", "days": 11, "channels": ["letter"], "template": "invitation"},
    {"key": "closing", "days": 25, "channels": ["letter", "email", "sms"], "template": "closing"},
]
SAFETY_PLAN = [{"key": "safety_check", "days": 0, "channels": ["call"], "template": "safety_check"}]
MAX_DAYS = 365


def validate_plan(steps) -> list[dict]:
    """Return a clean copy of `steps` or raise ValidationError naming the step
    and field at fault."""
    if not isinstance(steps, list) or not steps:
        raise ValidationError("A policy needs at least one step.")
    clean, last_days = [], -1
    for i, s in enumerate(steps, start=1):
        where = f"step {i}"
        if not isinstance(s, dict):
            raise ValidationError(f"{where}: must be an object with key, days, channels, template.")
        key = str(s.get("key", "")).strip()
        if not key or len(key) > 40:
            raise ValidationError(f"{where}: 'key' must be a short name such as 'message'.")
        days = s.get("days")
        if not isinstance(days, int) or not 0 <= days <= MAX_DAYS:
            raise ValidationError(f"{where} ({key}): 'days' must be a whole number from 0 to {MAX_DAYS}.")
        if days < last_days:
            raise ValidationError(f"{where} ({key}): steps must be in order of days ({days} < {last_days}).")
        channels = s.get("channels")
        if not isinstance(channels, list) or not channels or any(c not in CHANNEL_KEYS for c in channels):
            raise ValidationError(f"{where} ({key}): 'channels' must list some of {', '.join(CHANNEL_KEYS)}.")
        template = str(s.get("template", "")).strip()
        if not template:
            raise ValidationError(f"{where} ({key}): 'template' is missing.")
        clean.append({"key": key, "days": days, "channels": list(channels), "template": template})
        last_days = days
    if len({s["key"] for s in clean}) != len(clean):
        raise ValidationError("Each step needs its own key.")
    return clean


def plan_for(episode) -> list[dict]:
    """The most specific policy for this episode's client and clinician."""
    from django.db.models import Q

    rows = CadencePolicy.objects.filter(
        Q(practice_id=episode.practice_id, clinician=None, client=None)
        | Q(clinician_id=episode.clinician_id, client=None) | Q(client_id=episode.client_id))
    by_level = {}
    for p in rows:
        level = 0 if p.client_id else 1 if p.clinician_id else 2
        by_level[level] = p.steps
    return by_level[min(by_level)] if by_level else DEFAULT_PLAN


def save_policy(practice, steps, *, clinician=None, client=None) -> CadencePolicy:
    steps = validate_plan(steps)
    obj, _ = CadencePolicy.objects.update_or_create(
        practice=practice, clinician=clinician if client is None else None, client=client,
        defaults={"steps": steps})
    return obj
