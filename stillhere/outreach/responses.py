"""The client's response page: a personal, signed, expiring link with three
choices (book, pause, stop) and one optional question.

The token names only the step (its random code); it carries no name and no
clinical content, and it works once: the Response row is unique per step.
"""

from datetime import datetime, timedelta as td

from django.core import signing
from django.db import IntegrityError, transaction

from stillhere.audit.events import OutreachResponded, record
from stillhere.clients.models import Episode
from stillhere.engagement.models import PlannedBreak, StateChange

from . import templating
from .models import OutreachSettings, OutreachStep, Response
from .sequences import mark, stop_sequences

SALT = "stillhere.outreach.response"
PAUSE_WEEKS = 6
MAX_HELP_CHARS = 1000


class BadToken(Exception):
    """The link is forged, damaged, expired or already used; the message
    says which, in words a client understands. `practice` is set whenever
    the link was genuinely ours, so the page can say how to reach them."""

    def __init__(self, message: str, practice=None):
        super().__init__(message)
        self.practice = practice


def make_token(step) -> str:
    return signing.dumps(step.code.hex, salt=SALT)


def response_url(step) -> str:
    return f"{templating.site_url()}/r/{make_token(step)}/"


def read_token(token: str) -> OutreachStep:
    """The step a token names, or BadToken."""
    if len(token) > 200:
        raise BadToken("This link is not valid. Please check it was copied in full.")
    try:
        # The signature first, with no age limit: a genuine but old link
        # still tells us whose it was, so the page can say how to reach them.
        code = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        raise BadToken("This link is not valid. Please check it was copied in full.") from None
    step = (OutreachStep.objects.select_related("practice", "client", "episode__clinician__user", "sequence")
            .filter(code=code).first())
    if step is None:
        raise BadToken("This link is not valid. Please check it was copied in full.")
    prefs = OutreachSettings.for_practice(step.practice)
    try:
        signing.loads(token, salt=SALT, max_age=td(days=prefs.link_days))
    except signing.SignatureExpired:
        raise BadToken("This link has expired.", practice=step.practice) from None
    return step


def already_answered(step) -> bool:
    return Response.objects.filter(step=step).exists()


ENDED_STATES = (Episode.State.ENDED_PLANNED, Episode.State.ENDED_BY_CLIENT, Episode.State.ENDED_NO_GOODBYE)
CLOSED = "This link is from an earlier message and can no longer be used."


def link_closed(step, episode) -> bool:
    """A link speaks only for the sequence that sent it, while that sequence
    still stands. Refused:

    - a stopped sequence (the client answered another way, rebooked, or the
      clinician spoke with them): the later answer stands;
    - an episode that ended any way but this sequence's own closing message
      (ended as planned, by the client, referred): an old link must not
      reopen it;
    - a client who has started a newer episode since.

    The closing message's link stays open after it ends the episode without
    goodbye: that is the open door it offers.
    """
    seq = step.sequence
    if seq.status == seq.Status.STOPPED:
        return True
    ended = episode.ended is not None or episode.state in ENDED_STATES
    door_open = seq.status == seq.Status.COMPLETED and episode.state == Episode.State.ENDED_NO_GOODBYE
    if ended and not door_open:
        return True
    return Episode.objects.filter(client_id=episode.client_id, started__gt=episode.started).exists()


def respond(step, choice: str, what_would_help: str, final_session: bool, now: datetime) -> Response:
    """Record the client's choice, act on it and tell the clinician.

    - book: the sequence stops and the episode is re-engaged;
    - pause: the sequence stops and a planned break starts (no lapse during it);
    - stop: the sequence stops and the episode ends by the client's choice,
      with the offer of a final session recorded if they accepted it.
    A second answer on the same link raises BadToken and changes nothing.
    """
    if choice not in Response.Choice.values:
        raise ValueError("Please choose one of the three options.")
    what_would_help = what_would_help.strip()[:MAX_HELP_CHARS]
    try:
        with transaction.atomic():
            # The episode's row is locked so a stop elsewhere (a text, the
            # clinician's call) and this answer are decided one after the other.
            episode = Episode.objects.select_for_update().get(pk=step.episode_id)
            step.sequence.refresh_from_db(fields=["status"])
            if already_answered(step):
                raise IntegrityError
            if link_closed(step, episode):
                raise BadToken(CLOSED, practice=step.practice)
            resp = Response.objects.create(step=step, practice=step.practice, client=step.client, episode=episode,
                                           choice=choice, what_would_help=what_would_help,
                                           final_session=final_session and choice == "stop", created=now)
            act(resp, episode, now)
    except IntegrityError:
        raise BadToken("We already have your answer from this link. Thank you.", practice=step.practice) from None
    record(OutreachResponded(practice=step.practice, client=step.client, step=step, choice=choice))
    from stillhere.engagement.rescan import rescan_quietly

    rescan_quietly(step.practice, client_ids=[step.client_id], why="after the client answered", now=now)
    tell_clinician(step, choice)
    return resp


def act(resp, episode, now):
    src = StateChange.Source.CLIENT
    label = Response.Choice(resp.choice).label
    stop_sequences(episode, f"the client chose “{label}” on the response page", now)
    if resp.choice == "book":
        mark(episode, Episode.State.RE_ENGAGED, "asked_to_book", "The client asked to book", now, source=src)
    elif resp.choice == "pause":
        today = now.astimezone(episode.practice.tz).date()
        PlannedBreak.objects.create(practice=episode.practice, episode=episode, starts=today,
                                    ends=today + td(weeks=PAUSE_WEEKS), reason="The client asked to pause")
        mark(episode, Episode.State.ACTIVE, "planned_break", f"Pause for {PAUSE_WEEKS} weeks, asked for by "
             "the client", now, source=src)
    else:
        detail = "The client asked to stop" + ("; would like a final session" if resp.final_session else "")
        if mark(episode, Episode.State.ENDED_BY_CLIENT, "asked_to_stop", detail, now, source=src):
            Episode.objects.filter(pk=episode.pk, ended=None).update(
                ended=now.astimezone(episode.practice.tz).date(), end_reason=Episode.EndReason.BY_CLIENT)


def tell_clinician(step, choice: str) -> None:
    """An email to the clinician with no client detail: a link to the client's
    page, where they are signed in and the access is audited."""
    from django.core.mail import send_mail

    user = step.episode.clinician.user
    if not user.email:
        return
    url = f"{templating.site_url(step.practice)}/clients/{step.client.code}/"
    try:
        send_mail("A client answered your message", f"One of your clients answered through their "
                  f"response page ({Response.Choice(choice).label.lower()}).\n\nSee it here: {url}\n",
                  None, [user.email])
    except Exception:  # the answer is saved and on the timeline either way
        pass
