"""Which practice a command-line import goes into."""

import re

from django.core.exceptions import ValidationError

from stillhere.accounts.models import Practice, validate_timezone


class PracticeChoiceError(ValueError):
    pass


DEFAULT_NAME = "My practice"


def practice_for_import(slug: str | None, name: str | None, timezone: str) -> tuple[Practice, bool]:
    """--practice SLUG; else --practice-name NAME: that practice, made new
    if there is none by that name; else the only practice, else a new one (a
    solo therapist's first import on a fresh install). Naming a practice
    never files its clients into another one that happens to be alone on
    the server. Returns (practice, created)."""
    if slug:
        try:
            return Practice.objects.get(slug=slug), False
        except Practice.DoesNotExist:
            raise PracticeChoiceError(f"No practice with the slug {slug!r}.") from None
    if name:
        found = Practice.objects.filter(slug=_slug(name)).first()
        return (found, False) if found else _new(name, timezone)
    practices = list(Practice.objects.order_by("slug")[:50])
    if len(practices) == 1:
        return practices[0], False
    if practices:
        raise PracticeChoiceError("There are several practices; say which with --practice SLUG: "
                                  + ", ".join(p.slug for p in practices))
    return _new(DEFAULT_NAME, timezone)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:50] or "practice"


def _new(name: str, timezone: str) -> tuple[Practice, bool]:
    try:
        validate_timezone(timezone)
    except ValidationError:
        raise PracticeChoiceError(f"{timezone!r} is not a known time zone (e.g. Europe/London).") from None
    return Practice.objects.create(name=name, slug=_slug(name), timezone=timezone), True
