"""Short links: the response page at an address a person can type from a
letter, read out on a phone, or tap in a text without it filling the screen.

The code is random (nothing in it says who or why), drawn from letters and
digits that cannot be confused on paper (no 0/o, 1/l/i), and long enough
that guessing one is hopeless: 31^9 ≈ 2.6e13 codes. A link belongs to one
step, so to one client; it expires after the practice's link_days (counted
at the moment it is opened, so shortening the setting takes effect at once)
and can be revoked.
"""

import secrets
from datetime import datetime, timedelta as td

from django.db import IntegrityError, transaction
from django.utils import timezone

from . import templating
from .models import OutreachSettings, ShortLink

ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
LENGTH = 9


class DeadLink(Exception):
    """Why a short link cannot be used, in a client's words; `practice` is
    set when the link was genuinely ours."""

    def __init__(self, message: str, practice=None):
        super().__init__(message)
        self.practice = practice


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def link_for(step) -> ShortLink:
    """The step's short link, made the first time it is asked for.

    Its age is wall-clock time, like the page that reads it (a tick run
    "as of" another date still makes a link that lasts link_days from now)."""
    now = timezone.now()
    existing = ShortLink.objects.filter(step=step).first()
    if existing:
        return existing
    for _ in range(5):
        try:
            with transaction.atomic():
                return ShortLink.objects.create(code=new_code(), step=step, practice=step.practice,
                                                client=step.client, created=now)
        except IntegrityError:
            if existing := ShortLink.objects.filter(step=step).first():
                return existing  # another worker made it a moment ago
    raise RuntimeError("Could not find a free short code")  # pragma: no cover - 5 collisions in 2.6e13


def short_url(step) -> str:
    return f"{templating.site_url(step.practice)}/l/{link_for(step).code}/"


def display_url(url: str) -> str:
    """The link as printed on a letter: without "https://", which nobody types."""
    return url.split("://", 1)[-1].rstrip("/")


def read(code: str, now: datetime):
    """The step a short code names, or DeadLink saying why not."""
    code = (code or "").strip().lower()
    invalid = "This link is not valid. Please check it was copied in full."
    if not code or len(code) > 16 or any(c not in ALPHABET for c in code):
        raise DeadLink(invalid)
    link = (ShortLink.objects.select_related("practice", "step__client", "step__practice",
                                             "step__episode__clinician__user", "step__sequence")
            .filter(code=code).first())
    if link is None:
        raise DeadLink(invalid)
    if link.revoked:
        raise DeadLink("This link is no longer in use.", practice=link.practice)
    days = OutreachSettings.for_practice(link.practice).link_days
    if now > link.created + td(days=days):
        raise DeadLink("This link has expired.", practice=link.practice)
    return link.step


def revoke(step, now: datetime) -> bool:
    return ShortLink.objects.filter(step=step, revoked=None).update(revoked=now) == 1
