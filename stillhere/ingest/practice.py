"""Which practice a command-line import goes into."""

import re

from django.core.exceptions import ValidationError

from stillhere.accounts.models import Practice, validate_timezone


class PracticeChoiceError(ValueError):
    pass


def practice_for_import(slug: str | None, name: str, timezone: str) -> tuple[Practice, bool]:
    """--practice SLUG, else the only practice, else a new one (a solo
    therapist's first import on a fresh install). Returns (practice, created)."""
    if slug:
        try:
            return Practice.objects.get(slug=slug), False
        except Practice.DoesNotExist:
            raise PracticeChoiceError(f"No practice with the slug {slug!r}.") from None
    practices = list(Practice.objects.order_by("slug")[:50])
    if len(practices) == 1:
        return practices[0], False
    if practices:
        raise PracticeChoiceError("There are several practices; say which with --practice SLUG: "
                                  + ", ".join(p.slug for p in practices))
    try:
        validate_timezone(timezone)
    except ValidationError:
        raise PracticeChoiceError(f"{timezone!r} is not a known time zone (e.g. Europe/London).") from None
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:50] or "practice"
    return Practice.objects.create(name=name, slug=slug, timezone=timezone), True
