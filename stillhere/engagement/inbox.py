"""The "Needs attention" inbox: what changed and what is due, most urgent first.

Urgency, as DESIGN.md orders it:
1. a same-day safety check (a missed session with a current safety concern);
2. outreach waiting on a person: a draft to approve, a call to make, a send
   that failed or whose fate is uncertain;
3. missed sessions (waiting period, then outreach);
4. lapses;
5. high dropout risk, and cancellations not yet rebooked (watch);
6. check-ins due before the next session.
Within a group the oldest item comes first, so nothing waits at the bottom.

Each item says why in words and names one obvious next action. The inbox is
built from a handful of queries over the member's visible episodes, never a
loop of queries per client.
"""

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Max, Q

from stillhere.accounts.permissions import visible_episodes
from stillhere.clients.models import Episode

from .models import StateChange

S = Episode.State
SAFETY, OUTREACH, MISSED, LAPSED, RISK, ALERT, CHECKIN = range(7)
GROUP_TITLES = {
    SAFETY: "Safety check today", OUTREACH: "Outreach waiting for you", MISSED: "Missed a session",
    LAPSED: "Gone quiet", RISK: "At risk of leaving", ALERT: "Talk about it at the next session",
    CHECKIN: "Check-in due",
}
# Past sessions still marked scheduled: ask what happened (unrecorded.py).
RECORD = 7
GROUP_TITLES[RECORD] = "Record what happened"
# What a director may filter by, in the page's address (?kind=talk): words,
# never a client's data.
KINDS = {"safety": SAFETY, "outreach": OUTREACH, "missed": MISSED, "quiet": LAPSED, "risk": RISK,
         "talk": ALERT, "checkin": CHECKIN, "record": RECORD}
KIND_OF = {v: k for k, v in KINDS.items()}
KIND_WORDS = {SAFETY: "Safety checks", OUTREACH: "Outreach to do", MISSED: "Missed sessions", LAPSED: "Quiet clients",
              RISK: "Risk of leaving", ALERT: "Questionnaire talking points", CHECKIN: "Check-ins",
              RECORD: "Sessions to record"}
# A questionnaire alert is news for two weeks; after that it lives on the client page.
ALERT_DAYS = 14
CHANGED_WITHIN = timedelta(days=1)


@dataclass
class Item:
    group: int
    episode: Episode
    title: str
    reason: str
    since: datetime | None
    action: str                  # the one obvious next step, in words
    url: str = ""
    due: datetime | None = None
    step: object = None          # an OutreachStep, when the action is on one
    extra: dict = field(default_factory=dict)

    @property
    def client(self):
        return self.episode.client

    @property
    def group_title(self) -> str:
        return GROUP_TITLES[self.group]


@dataclass
class Card:
    """One client's card: every reason they need attention, under the most
    urgent one's heading."""

    items: list[Item]

    @property
    def first(self) -> Item:
        return self.items[0]

    @property
    def group(self) -> int:
        return self.first.group

    @property
    def group_title(self) -> str:
        return self.first.group_title

    @property
    def client(self):
        return self.first.client

    @property
    def episode(self):
        return self.first.episode


def cards(items: list[Item]) -> list[Card]:
    """The items (in inbox order) gathered into one card per client, the
    cards in the order of each client's most urgent item."""
    by_client: dict[int, Card] = {}
    for i in items:
        card = by_client.get(i.episode.client_id)
        if card is None:
            by_client[i.episode.client_id] = Card([i])
        else:
            card.items.append(i)
    return list(by_client.values())


def filtered(items: list[Item], clinician_id: int | None = None, kind: str = "") -> list[Item]:
    """The items of one clinician's clients and/or of one kind (KINDS); a
    card keeps all its reasons when any of them is of that kind."""
    if clinician_id:
        items = [i for i in items if i.episode.clinician_id == clinician_id]
    if kind in KINDS:
        wanted = {i.episode.client_id for i in items if i.group == KINDS[kind]}
        items = [i for i in items if i.episode.client_id in wanted]
    return items


def needs_attention(member, now: datetime) -> list[Item]:
    return inbox_cache.get(member, now, "items", lambda: _needs_attention(member, now))


def _needs_attention(member, now: datetime) -> list[Item]:
    eps = visible_episodes(member).filter(ended__isnull=True).select_related("client", "clinician__user")
    items: list[Item] = []
    waiting = timedelta(days=member.practice.waiting_days)

    trouble = list(eps.filter(state__in=[S.MISSED, S.LAPSED, S.WATCH]))
    latest = {c.episode_id: c for c in _latest_changes([e.pk for e in trouble])}
    for e in trouble:
        change = latest.get(e.pk)
        reason = change.detail if change else e.get_state_display()
        if e.state == S.MISSED and change and change.safety_check:
            items.append(Item(SAFETY, e, "Check on their safety today", reason, e.state_since,
                              "Call now and log the outcome", due=e.state_since))
        elif e.state == S.MISSED:
            due = e.state_since + waiting if e.state_since else None
            waiting_now = due and due > now
            items.append(Item(MISSED, e, "Missed a session", reason, e.state_since,
                              f"Give them until {due:%a %-d %b} to get in touch" if waiting_now
                              else "Review the first outreach step", due=due))
        elif e.state == S.LAPSED:
            items.append(Item(LAPSED, e, "Gone quiet", reason, e.state_since, "Review the outreach plan"))
        else:
            items.append(Item(RISK, e, "Cancelled and not rebooked" if change and change.reason == "cancel_no_rebook"
                              else "At risk of leaving", reason, e.state_since,
                              "Raise it kindly at the next contact"))

    seen = {i.episode.pk for i in items}
    high = (eps.filter(current_risk__band="high").exclude(pk__in=seen)
            .exclude(state__in=[S.REACHING_OUT]).select_related("current_risk"))
    for e in high:
        reasons = e.current_risk.reasons
        items.append(Item(RISK, e, "At risk of leaving", "; ".join(reasons[:2]) or "High dropout risk",
                          e.current_risk.as_of, "Talk about how therapy is going at the next session",
                          extra={"risk": e.current_risk.risk}))

    items += _outreach_items(member, eps, now)
    items += _escalation_items(member)
    items += _measure_alert_items(member, eps, now)
    items += _checkin_items(member, now, {i.episode.pk for i in items})
    items += _unrecorded_items(member, eps, now)
    items = _without_reviewed(items, now)
    items = _with_word(items, member.practice.tz)
    items.sort(key=lambda i: (i.group, i.due or i.since or now))
    return items


def recent_changes(member, now: datetime) -> list[StateChange]:
    """State changes on the member's episodes in the last day: what changed."""
    return inbox_cache.get(member, now, "changes", lambda: _recent_changes(member, now))


def _recent_changes(member, now: datetime) -> list[StateChange]:
    eps = visible_episodes(member)
    return list(StateChange.objects.filter(episode__in=eps, created__gte=now - CHANGED_WITHIN)
                .select_related("episode__client").order_by("-created")[:50])


def _latest_changes(episode_ids):
    last = (StateChange.objects.filter(episode_id__in=episode_ids).values("episode_id")
            .annotate(m=Max("id")).values("m"))
    return StateChange.objects.filter(id__in=last)


def _outreach_items(member, eps, now) -> list[Item]:
    try:
        from stillhere.outreach.listing import effective_status
        from stillhere.outreach.models import OutreachStep
    except ImportError:  # pragma: no cover - outreach is part of every install
        return []
    St = OutreachStep.Status
    wanted = [St.AWAITING_APPROVAL, St.TO_CALL, St.FAILED, St.UNCERTAIN, St.SENDING]
    steps = (OutreachStep.objects.filter(episode__in=eps, status__in=wanted)
             .filter(Q(due__lte=now + timedelta(days=1)) | ~Q(status=St.AWAITING_APPROVAL))
             .select_related("episode__client", "episode__clinician__user").order_by("due"))
    words = {
        St.AWAITING_APPROVAL: ("A message is ready for your approval", "Read, edit if you like, and approve"),
        St.TO_CALL: ("A call to make", "Call, then log what happened"),
        St.FAILED: ("A message could not be sent", "See what went wrong, then retry or skip"),
        St.UNCERTAIN: ("Not sure a message went out", "Check before retrying"),
    }
    out = []
    for step in steps:
        status = effective_status(step, now)
        if status not in words:
            continue
        title, action = words[status]
        group = SAFETY if step.key == "safety_check" else OUTREACH
        out.append(Item(group, step.episode, title, f"{step.get_channel_display() or 'Call'} · {contact_words(step)}",
                        step.due, action, url=f"/outreach/steps/{step.code}/", due=step.due, step=step))
    return out


ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth")


def contact_words(step) -> str:
    """Which contact this is, in words: "same-day safety call", "second contact"."""
    if step.key == "safety_check":
        return "same-day safety call"
    if step.closing:
        return "closing message"
    n = step.position
    return f"{ORDINALS[n]} contact" if n < len(ORDINALS) else f"contact {n + 1}"


def _escalation_items(member) -> list[Item]:
    """Safety checks nobody resolved by the practice's hour: every director
    and admin sees them, whoever the clinician is (outreach/safety.py)."""
    if not member.sees_whole_practice:
        return []
    from stillhere.outreach.safety import unresolved

    out = []
    for esc in unresolved(member.practice):
        step = esc.sequence.steps.order_by("position").first()
        hour = esc.deadline.astimezone(member.practice.tz)
        out.append(Item(SAFETY, esc.sequence.episode, "Unresolved safety check",
                        f"Nobody had logged speaking with them by {hour:%H:%M}", esc.created,
                        "Make sure someone reaches them today",
                        url=f"/outreach/steps/{step.code}/" if step else "", due=esc.deadline,
                        extra={"escalated": True}))
    return out


def _without_reviewed(items, now) -> list[Item]:
    """At-risk items the clinician has already said they will raise, and
    "talk about it" items marked raised (desk app)."""
    try:
        from stillhere.desk.reviews import without_raised, without_reviewed
    except ImportError:  # pragma: no cover
        return items
    return without_raised(without_reviewed(items, RISK, now), ALERT, now)


NO_WORD = "no word since"


def _with_word(items, tz) -> list[Item]:
    """A logged contact is word: "No-show on 12 Jan, no word since" becomes
    "No-show on 12 Jan; spoke with them on 13 Jan" as soon as a call is
    logged as spoken, a reply is logged or received, or the client answers on
    their response page, after the missed session (three queries, only when
    an item says "no word since")."""
    from stillhere.clients.models import Appointment
    from stillhere.outreach.models import OutreachStep, Reply, Response

    quiet = {i.episode.pk for i in items if NO_WORD in i.reason}
    if not quiet:
        return items
    missed = dict(Appointment.objects.filter(episode_id__in=quiet, status__in=["no_show", "late_cancel"])
                  .values("episode_id").annotate(m=Max("start")).values_list("episode_id", "m"))
    word: dict[int, tuple] = {}

    def note(episode_id, when, words):
        if when and missed.get(episode_id) and when > missed[episode_id] and (
                episode_id not in word or when > word[episode_id][0]):
            word[episode_id] = (when, words)

    for ep, when in (OutreachStep.objects.filter(episode_id__in=quiet, outcome=OutreachStep.Outcome.SPOKE)
                     .values_list("episode_id", "finished")):
        note(ep, when, "spoke with them")
    for ep, when, source in Reply.objects.filter(episode_id__in=quiet).values_list("episode_id", "received", "source"):
        note(ep, when, "they rang" if source == Reply.Source.CALL else "they replied")
    for ep, when in Response.objects.filter(episode_id__in=quiet).values_list("episode_id", "created"):
        note(ep, when, "they answered on their response page")
    for i in items:
        if i.episode.pk in word:
            when, words = word[i.episode.pk]
            local = when.astimezone(tz)
            i.reason = i.reason.replace(f", {NO_WORD}", f"; {words} on {local.day} {local:%b}").replace(
                NO_WORD, f"{words} on {local.day} {local:%b}")
    return items


def _measure_alert_items(member, eps, now) -> list[Item]:
    """Recent questionnaire alerts (DESIGN.md stance 7): a safety answer is a
    same-day item; a falling or low alliance, or stalled progress, is a prompt
    to talk about it at the next session."""
    from stillhere.measures.current import alerts_by_client

    by_client = {}
    for e in eps.order_by("started"):
        by_client[e.client_id] = e          # the client's latest open episode
    since = now.date() - timedelta(days=ALERT_DAYS)
    out = []
    for client_id, alerts in alerts_by_client(member.practice, list(by_client), as_of=now.date()).items():
        fresh = [a for a in alerts if a.on >= since]
        e = by_client[client_id]
        safety = [a for a in fresh if a.is_safety]
        others = [a for a in fresh if not a.is_safety]
        if safety:
            out.append(Item(SAFETY, e, "A questionnaire answer needs a safety check", safety[0].reason,
                            None, "Check in with them today", extra={"on": safety[0].on}))
        if others:
            out.append(Item(ALERT, e, others[0].label, " ".join(a.reason for a in others), None,
                            "Talk about it at the next session",
                            extra={"on": max(a.on for a in others), "kinds": sorted({a.kind for a in others}),
                                   "labels": [a.label for a in others]}))
    return out


def _unrecorded_items(member, eps, now) -> list[Item]:
    from .unrecorded import unrecorded_items

    return unrecorded_items(member, eps, now, Item, RECORD)


def _checkin_items(member, now, already) -> list[Item]:
    try:
        from stillhere.measures.checkins import due_checkins
    except ImportError:  # pragma: no cover
        return []
    out = []
    for episode, status in due_checkins(member, now):
        if episode.pk in already:
            continue
        out.append(Item(CHECKIN, episode, "Check-in due", status.reason(member.practice.tz), None,
                        "Ask how therapy is going for them", due=status.next_session))
    return out


class _InboxCache:
    """The inbox per member, kept for a few minutes while nothing it reads has changed.

    A group practice's clinicians open the inbox all day; recomputing it
    (check-ins read every attended session of the caseload) for each page
    view is what made it slow. A cached inbox is used only while:

    - the practice's fingerprint is unchanged: the newest state change, risk
      score, appointment, measure, session marker and risk review, the
      letters in the open print batch, and the outreach steps waiting on a
      person (one query of index lookups);
    - it is under five minutes old: a few things change with the clock alone
      (a send stuck for ten minutes shows as uncertain; a check-in falls into
      the coming week) and a few edits escape the fingerprint (an appointment's
      status updated in place before the next scan). Each entry ages on its
      own, so a practice's inboxes are not all recomputed in the same second.
    Never inside a transaction: its own uncommitted rows must not be served
    to others (and tests, which run in one, always see fresh results).
    """

    TTL = 300.0
    WANTED = ("awaiting_approval", "to_call", "failed", "uncertain", "sending")

    def __init__(self):
        self.store: dict = {}
        self.last = None
        self.served = threading.local()

    def fingerprint(self, practice_id: int) -> tuple:
        rank = " ".join(f"WHEN '{st}' THEN {i + 1}" for i, st in enumerate(self.WANTED))
        marks = ", ".join(f"(SELECT max(id) FROM {t} WHERE practice_id = %s)" for t in (
            "engagement_statechange", "risk_riskscore", "clients_appointment", "measures_measureresult",
            "desk_riskreview", "outreach_safetyescalation", "desk_raisedmark", "outreach_reply",
            "outreach_response"))
        letters = ("(SELECT count(*) FROM outreach_letter l JOIN outreach_printbatch b ON b.id = l.batch_id "
                   "WHERE b.practice_id = %s AND b.status = 'open')")
        sql = (f"SELECT {marks}, {letters}, (SELECT max(id) FROM clients_sessionmarker), count(*), sum(id), "
               f"sum(CASE status {rank} ELSE 0 END * id), max(due), sum(length(body)) "
               "FROM outreach_outreachstep WHERE practice_id = %s AND status IN ("
               + ", ".join("%s" for _ in self.WANTED) + ")")
        with connection.cursor() as cur:
            cur.execute(sql, [practice_id] * 11 + list(self.WANTED))
            return tuple(cur.fetchone())

    def stamp(self, member, part: str):
        """Which computation of this member's `part` this thread last served
        (None if it was not cached): lets a page keep its rendered HTML for
        exactly as long, and never file one page's HTML under another's data."""
        return getattr(self.served, "stamps", {}).get((member.pk, member.role, part))

    def _serve(self, key, entry):
        if not hasattr(self.served, "stamps"):
            self.served.stamps = {}
        self.served.stamps[key] = entry[:2] if entry else None

    def get(self, member, now: datetime, part: str, compute):
        key = (member.pk, member.role, part)
        if connection.in_atomic_block:
            self._serve(key, None)
            return compute()
        # One page asks for items, changes and letters with the same `now`
        # object: one fingerprint per page (identity, not equality).
        last = self.last
        same_page = last and last[0] == member.practice_id and last[1] is now
        fp = last[2] if same_page else self.fingerprint(member.practice_id)
        self.last = (member.practice_id, now, fp)
        hit = self.store.get(key)
        if hit and hit[0] == fp and hit[1] > time.monotonic():
            self._serve(key, hit)
            return list(hit[2])
        value = compute()
        if len(self.store) > 10000:
            self.store.clear()
        self.store[key] = entry = (fp, time.monotonic() + self.TTL, value)
        self._serve(key, entry)
        return list(value)


inbox_cache = _InboxCache()
