"""Risk reviews: "I've seen this and will raise it", and what the inbox then hides."""

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied

from stillhere.audit.events import AlertRaised, RiskReviewed, record

from .models import RaisedMark, RiskReview

# After this long a reviewed risk comes back even if nothing changed: a
# worry that was parked should not be parked for ever.
REVIEW_HOLDS = timedelta(days=14)
MAX_NOTE = 2000


def may_review(member, episode) -> bool:
    return episode.clinician_id == member.pk or member.role == member.Role.DIRECTOR


def review_risk(member, episode, reason: str, note: str, now: datetime) -> RiskReview:
    if not may_review(member, episode):
        raise PermissionDenied("Only the client's clinician or a clinical director can review this.")
    review = RiskReview.objects.create(practice_id=episode.practice_id, episode=episode, by=member,
                                       reason=reason[:300], note=(note or "").strip()[:MAX_NOTE], created=now)
    record(RiskReviewed(practice=member.practice, actor=member.user, client=episode.client, episode=episode))
    return review


def without_reviewed(items, risk_group: int, now: datetime) -> list:
    """Drop at-risk items the clinician reviewed, unless something is new:

    - the reason in words differs from the one reviewed;
    - the episode changed state after the review;
    - the review is older than REVIEW_HOLDS.
    One query, whatever the number of items.
    """
    risky = {i.episode.pk: i for i in items if i.group == risk_group}
    if not risky:
        return items
    latest = {}
    for r in (RiskReview.objects.filter(episode_id__in=list(risky), created__gte=now - REVIEW_HOLDS)
              .order_by("created").values("episode_id", "reason", "created")):
        latest[r["episode_id"]] = r
    hidden = set()
    for pk, item in risky.items():
        r = latest.get(pk)
        since = item.episode.state_since
        if r and r["reason"] == item.reason[:300] and (since is None or since <= r["created"]):
            hidden.add(pk)
    return [i for i in items if not (i.group == risk_group and i.episode.pk in hidden)]


def mark_raised(member, item, now: datetime) -> RaisedMark:
    """The clinician talked it through: the item stays away until something
    new arrives (see without_raised)."""
    episode = item.episode
    if not may_review(member, episode):
        raise PermissionDenied("Only the client's clinician or a clinical director can mark this raised.")
    mark = RaisedMark.objects.create(practice_id=episode.practice_id, episode=episode, by=member,
                                     fact_on=item.extra["on"], kinds=" ".join(sorted(item.extra["kinds"]))[:200],
                                     created=now)
    record(AlertRaised(practice=member.practice, actor=member.user, client=episode.client, episode=episode))
    return mark


# Alerts that are an event (a fall since the previous session): a newer one
# is something new. The others describe a standing state (a rating below the
# cutoff, a plateau): the next rating that still shows it is not news.
EVENT_KINDS = {"alliance_drop"}
# A raised state comes back after this long even if nothing new happened:
# four weekly sessions (like REVIEW_HOLDS, a parked worry is not parked for ever).
RAISED_HOLDS = timedelta(days=28)


def without_raised(items, alert_group: int, now: datetime | None = None) -> list:
    """Drop "talk about it" items marked raised, unless something is new:

    - an alert of a kind that was not among those marked;
    - a newer event (another fall), dated after the newest alert when marked;
    - the mark is older than RAISED_HOLDS.
    One query, whatever the number of items.
    """
    talk = {i.episode.pk: i for i in items if i.group == alert_group}
    if not talk:
        return items
    marks = RaisedMark.objects.filter(episode_id__in=list(talk))
    if now is not None:
        marks = marks.filter(created__gte=now - RAISED_HOLDS)
    latest = {r["episode_id"]: r for r in marks.order_by("created", "id").values("episode_id", "fact_on", "kinds")}
    hidden = set()
    for pk, item in talk.items():
        r = latest.get(pk)
        if r is None:
            continue
        kinds, marked = set(item.extra["kinds"]), set(r["kinds"].split())
        newer_event = bool(kinds & EVENT_KINDS) and item.extra["on"] > r["fact_on"]
        if kinds <= marked and not newer_event:
            hidden.add(pk)
    return [i for i in items if not (i.group == alert_group and i.episode.pk in hidden)]
