"""Typed audit events, one small class per kind of access.

Call sites build an event and pass it to `record()`, so the verb names and
the data each carries are defined once here and documented in docs/audit.md.
"""

import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .models import AuditEvent


@dataclass(kw_only=True)
class Event:
    name: ClassVar[str] = ""
    practice: Any
    actor: Any = None  # a User, or None for the system (tick, import)
    client: Any = None
    # A list page or partial that shows several clients names each one it
    # showed (their ids, stored as data["clients"]), not only how many.
    clients: Any = ()

    def target(self) -> tuple[str, str]:
        return "", ""

    def data(self) -> dict:
        return {}


@dataclass(kw_only=True)
class ClientViewed(Event):
    """A member opened a client's page.

    name: client-viewed
    """

    name: ClassVar[str] = "client-viewed"

    def target(self):
        return "client", str(self.client.pk)


@dataclass(kw_only=True)
class ClientListViewed(Event):
    """A member listed the clients they may see; records how many and which were shown.

    name: client-list-viewed
    """

    name: ClassVar[str] = "client-list-viewed"
    count: int = 0

    def data(self):
        return {"count": self.count}


@dataclass(kw_only=True)
class PracticeLoaded(Event):
    """Clients and appointments were written in bulk (simulator, demo).

    name: practice-loaded
    """

    name: ClassVar[str] = "practice-loaded"
    counts: dict = field(default_factory=dict)

    def data(self):
        return dict(self.counts)


@dataclass(kw_only=True)
class MeasureRecorded(Event):
    """A questionnaire result (SRS, ORS, PHQ-9, ...) was stored for a client.

    name: measure-recorded
    """

    name: ClassVar[str] = "measure-recorded"
    result: Any = None
    source: str = "manual"

    def target(self):
        return "measure", str(self.result.pk)

    def data(self):
        return {"instrument": self.result.instrument, "source": self.source}


@dataclass(kw_only=True)
class MeasuresViewed(Event):
    """A member saw a client's scores, chart and alerts.

    name: measures-viewed
    """

    name: ClassVar[str] = "measures-viewed"
    count: int = 0

    def target(self):
        return "client", str(self.client.pk)

    def data(self):
        return {"count": self.count}


@dataclass(kw_only=True)
class CheckinIntervalSet(Event):
    """A clinician set (or cleared, `every_sessions` null) a client's own check-in interval.

    name: checkin-interval-set
    """

    name: ClassVar[str] = "checkin-interval-set"
    every_sessions: int | None = None

    def target(self):
        return "client", str(self.client.pk)

    def data(self):
        return {"every_sessions": self.every_sessions}


@dataclass(kw_only=True)
class CheckinHeld(Event):
    """A clinician recorded a progress check-in conversation ("heart-to-heart") in a session.

    name: checkin-held
    """

    name: ClassVar[str] = "checkin-held"
    marker: Any = None

    def target(self):
        return "session-marker", str(self.marker.pk)


@dataclass(kw_only=True)
class CheckinsDueViewed(Event):
    """A member listed the clients due a check-in before their next session.

    name: checkins-due-viewed
    """

    name: ClassVar[str] = "checkins-due-viewed"
    count: int = 0

    def data(self):
        return {"count": self.count}


@dataclass(kw_only=True)
class MeasuresLoaded(Event):
    """Measure results were written in bulk (simulator, demo); records how many.

    name: measures-loaded
    """

    name: ClassVar[str] = "measures-loaded"
    counts: dict = field(default_factory=dict)

    def data(self):
        return dict(self.counts)


@dataclass(kw_only=True)
class MeasuresSettingsChanged(Event):
    """A practice's measures settings file (custom instruments, thresholds) was replaced.

    name: measures-settings-changed
    """

    name: ClassVar[str] = "measures-settings-changed"
    instruments: list = field(default_factory=list)

    def data(self):
        return {"instruments": list(self.instruments)}


@dataclass(kw_only=True)
class ImportCompleted(Event):
    """A file (CSV, FHIR, calendar) was imported; counts only, never names or values.

    name: import-completed
    """

    name: ClassVar[str] = "import-completed"
    kind: str = ""
    totals: dict = field(default_factory=dict)

    def data(self):
        return {"kind": self.kind, **self.totals}


@dataclass(kw_only=True)
class ImportRejected(Event):
    """An import found problems and wrote nothing; counts only.

    name: import-rejected
    """

    name: ClassVar[str] = "import-rejected"
    kind: str = ""
    totals: dict = field(default_factory=dict)

    def data(self):
        return {"kind": self.kind, **self.totals}


@dataclass(kw_only=True)
class SnapshotWritten(Event):
    """A practice's facts were copied to a Parquet snapshot (`stillhere snapshot`);
    where to, and row counts only.

    name: snapshot-written
    """

    name: ClassVar[str] = "snapshot-written"
    folder: str = ""
    rows: dict = field(default_factory=dict)

    def data(self):
        return {"folder": self.folder, **self.rows}


EVENTS: tuple[type[Event], ...] = (ClientViewed, ClientListViewed, PracticeLoaded, MeasureRecorded, MeasuresViewed,
                                     CheckinIntervalSet, CheckinHeld, CheckinsDueViewed, MeasuresLoaded,
                                     MeasuresSettingsChanged)
EVENTS += (ImportCompleted, ImportRejected, SnapshotWritten)


# --- Outreach (stillhere/outreach, stillhere/channels) ---


class _StepTarget:
    """Mixin: the event's target is an outreach step (not an Event itself)."""

    def target(self):
        return "outreach-step", str(self.step.pk)


@dataclass(kw_only=True)
class OutreachStarted(Event):
    """The tick started a sequence of outreach steps (or a safety check) for an episode.

    name: outreach-started
    """

    name: ClassVar[str] = "outreach-started"
    sequence: Any = None
    steps: int = 0

    def target(self):
        return "outreach-sequence", str(self.sequence.pk)

    def data(self):
        return {"kind": self.sequence.kind, "steps": self.steps}


@dataclass(kw_only=True)
class OutreachStopped(Event):
    """A sequence stopped: the client replied, rebooked, answered or asked not to be contacted.

    name: outreach-stopped
    """

    name: ClassVar[str] = "outreach-stopped"
    sequence: Any = None
    reason: str = ""

    def target(self):
        return "outreach-sequence", str(self.sequence.pk)

    def data(self):
        return {"reason": self.reason[:200]}


@dataclass(kw_only=True)
class OutreachDrafted(_StepTarget, Event):
    """A step's message was written from its template for the client.

    name: outreach-drafted
    """

    name: ClassVar[str] = "outreach-drafted"
    step: Any = None
    automatic: bool = False

    def data(self):
        return {"channel": self.step.channel, "automatic": self.automatic}


@dataclass(kw_only=True)
class OutreachStepViewed(_StepTarget, Event):
    """A member opened a draft or a sent step (its text is client data).

    name: outreach-step-viewed
    """

    name: ClassVar[str] = "outreach-step-viewed"
    step: Any = None


@dataclass(kw_only=True)
class OutreachDecided(_StepTarget, Event):
    """A member approved, edited, skipped, retried or resolved a step.

    name: outreach-decided
    """

    name: ClassVar[str] = "outreach-decided"
    step: Any = None
    action: str = ""
    problems: list = field(default_factory=list)  # tone-check codes overridden, with a reason on the step

    def data(self):
        out = {"action": self.action, "channel": self.step.channel}
        if self.problems:
            out["problems"] = self.problems
        return out


@dataclass(kw_only=True)
class OutreachAttempted(_StepTarget, Event):
    """An attempt was written and the step handed to its channel; one per outbound contact.

    name: outreach-attempted
    """

    name: ClassVar[str] = "outreach-attempted"
    step: Any = None
    attempt: Any = None

    def data(self):
        return {"channel": self.step.channel, "attempt": str(self.attempt.code)}


@dataclass(kw_only=True)
class OutreachFailed(_StepTarget, Event):
    """The channel refused an attempt; shown with a retry button, never retried on its own.

    name: outreach-failed
    """

    name: ClassVar[str] = "outreach-failed"
    step: Any = None
    attempt: Any = None
    error: str = ""
    permanent: bool = False

    def data(self):
        return {"attempt": str(self.attempt.code), "error": self.error[:200], "permanent": self.permanent}


@dataclass(kw_only=True)
class OutreachUncertain(_StepTarget, Event):
    """A worker died after writing an attempt and before the channel confirmed it.

    name: outreach-uncertain
    """

    name: ClassVar[str] = "outreach-uncertain"
    step: Any = None
    attempt: Any = None

    def data(self):
        return {"attempt": str(self.attempt.code) if self.attempt else ""}


@dataclass(kw_only=True)
class CallLogged(_StepTarget, Event):
    """A member logged the outcome of an outreach call.

    name: call-logged
    """

    name: ClassVar[str] = "call-logged"
    step: Any = None
    outcome: str = ""

    def data(self):
        return {"outcome": self.outcome}


@dataclass(kw_only=True)
class LettersPosted(Event):
    """A member marked a print batch of letters as posted.

    name: letters-posted
    """

    name: ClassVar[str] = "letters-posted"
    batch: Any = None
    count: int = 0

    def target(self):
        return "print-batch", str(self.batch.pk)

    def data(self):
        return {"count": self.count}


@dataclass(kw_only=True)
class LettersPrinted(Event):
    """A member downloaded a print batch (the letters' text and addresses).

    name: letters-printed
    """

    name: ClassVar[str] = "letters-printed"
    batch: Any = None
    count: int = 0

    def target(self):
        return "print-batch", str(self.batch.pk)

    def data(self):
        return {"count": self.count}


@dataclass(kw_only=True)
class OutreachResponded(_StepTarget, Event):
    """The client chose book, pause or stop on their response page (no login).

    name: outreach-responded
    """

    name: ClassVar[str] = "outreach-responded"
    step: Any = None
    choice: str = ""

    def data(self):
        return {"choice": self.choice}


@dataclass(kw_only=True)
class ResponsePageOpened(_StepTarget, Event):
    """Someone holding the client's personal link opened their response page
    (no login: whoever has the link sees the client's first name).

    name: response-page-opened
    """

    name: ClassVar[str] = "response-page-opened"
    step: Any = None


@dataclass(kw_only=True)
class ReplyReceived(Event):
    """A client's reply arrived (email, text) or was logged by staff (letter, call).

    name: reply-received
    """

    name: ClassVar[str] = "reply-received"
    reply: Any = None

    def target(self):
        return "outreach-reply", str(self.reply.pk)

    def data(self):
        return {"source": self.reply.source}


@dataclass(kw_only=True)
class OutreachTemplateSaved(Event):
    """A practice's message template was edited (after the tone check).

    name: outreach-template-saved
    """

    name: ClassVar[str] = "outreach-template-saved"
    key: str = ""
    channel: str = ""

    def data(self):
        return {"key": self.key, "channel": self.channel}


@dataclass(kw_only=True)
class SafetyEscalated(Event):
    """A same-day safety check nobody had logged as "spoke" by the practice's
    hour went to the directors' and admins' inbox (and email, if enabled).

    name: safety-escalated
    """

    name: ClassVar[str] = "safety-escalated"
    escalation: Any = None
    emailed: int = 0

    def target(self):
        return "outreach-sequence", str(self.escalation.sequence_id)

    def data(self):
        return {"emailed": self.emailed}


@dataclass(kw_only=True)
class OutboxViewed(Event):
    """A member opened the local outbox (the demo's captured emails and texts).

    name: outbox-viewed
    """

    name: ClassVar[str] = "outbox-viewed"
    count: int = 0

    def data(self):
        return {"count": self.count}


EVENTS += (OutreachStarted, OutreachStopped, OutreachDrafted, OutreachStepViewed, OutreachDecided,
           OutreachAttempted, OutreachFailed, OutreachUncertain, CallLogged, LettersPosted, LettersPrinted,
           OutreachResponded, ResponsePageOpened, ReplyReceived, OutreachTemplateSaved, SafetyEscalated,
           OutboxViewed)


# --- Engagement (stillhere/engagement) ---


@dataclass(kw_only=True)
class InboxViewed(Event):
    """A member opened their Needs attention inbox; records how many items it held.

    name: inbox-viewed
    """

    name: ClassVar[str] = "inbox-viewed"
    count: int = 0

    def data(self):
        return {"count": self.count}


@dataclass(kw_only=True)
class StateOverridden(Event):
    """A clinician set an episode's engagement state by hand, with a note.

    name: state-overridden
    """

    name: ClassVar[str] = "state-overridden"
    episode: Any = None
    old_state: str = ""
    new_state: str = ""

    def target(self):
        return "episode", str(self.episode.pk)

    def data(self):
        return {"old": self.old_state, "new": self.new_state}


EVENTS += (InboxViewed, StateOverridden)



# --- The clinician's desk, reflection and the practice view (stillhere/desk, reflection, analytics) ---


@dataclass(kw_only=True)
class RiskReviewed(Event):
    """A clinician said they have seen an at-risk item in the inbox and will raise it.

    name: risk-reviewed
    """

    name: ClassVar[str] = "risk-reviewed"
    episode: Any = None

    def target(self):
        return "episode", str(self.episode.pk)


@dataclass(kw_only=True)
class LetterPreviewed(_StepTarget, Event):
    """A member previewed an outreach letter draft as a PDF in the composer.

    name: letter-previewed
    """

    name: ClassVar[str] = "letter-previewed"
    step: Any = None

    def data(self):
        return {"channel": self.step.channel}


@dataclass(kw_only=True)
class ReflectionSaved(Event):
    """A clinician saved their private rupture review of an ending (its text is not logged).

    name: reflection-saved
    """

    name: ClassVar[str] = "reflection-saved"
    reflection: Any = None
    complete: bool = False

    def target(self):
        return "reflection", str(self.reflection.pk)

    def data(self):
        return {"complete": self.complete}


@dataclass(kw_only=True)
class ReflectionViewed(Event):
    """A clinician opened their own rupture review.

    name: reflection-viewed
    """

    name: ClassVar[str] = "reflection-viewed"
    reflection: Any = None

    def target(self):
        return "reflection", str(self.reflection.pk)


@dataclass(kw_only=True)
class ConsultationShared(Event):
    """A clinician produced a de-identified consultation summary from their review.

    name: consultation-shared
    """

    name: ClassVar[str] = "consultation-shared"
    summary: Any = None
    marked_words: int = 0   # words the preview marked for the author to check

    def target(self):
        return "consultation-summary", str(self.summary.pk)

    def data(self):
        return {"marked_words": self.marked_words}


@dataclass(kw_only=True)
class ConsultationViewed(Event):
    """A member read a de-identified consultation summary (no client is named in the row).

    name: consultation-viewed
    """

    name: ClassVar[str] = "consultation-viewed"
    summary: Any = None

    def target(self):
        return "consultation-summary", str(self.summary.pk)


@dataclass(kw_only=True)
class EncryptionKeysRotated(Event):
    """Encrypted free text was re-encrypted under the newest key.

    name: encryption-keys-rotated
    """

    name: ClassVar[str] = "encryption-keys-rotated"
    count: int = 0

    def data(self):
        return {"count": self.count}


@dataclass(kw_only=True)
class PracticeReportViewed(Event):
    """A director opened the practice view (aggregate dropout, no-show, survival, outreach).

    name: practice-report-viewed
    """

    name: ClassVar[str] = "practice-report-viewed"
    period: str = ""

    def data(self):
        return {"period": self.period}


@dataclass(kw_only=True)
class PracticeReportExported(Event):
    """A director downloaded the practice view as CSV.

    name: practice-report-exported
    """

    name: ClassVar[str] = "practice-report-exported"
    period: str = ""
    format: str = "csv"

    def data(self):
        return {"period": self.period, "format": self.format}


@dataclass(kw_only=True)
class NoteDeidentified(Event):
    """Notes about a client went through the PHI filter from the command line (`stillhere deidentify`).

    name: note-deidentified
    """

    name: ClassVar[str] = "note-deidentified"
    notes: int = 0
    mode: str = ""       # "client" (one note) or "jsonl" (a batch)
    operator: str = ""   # the operating-system account that ran the command

    def target(self):
        return "client", str(self.client.pk)

    def data(self):
        return {"notes": self.notes, "mode": self.mode, "operator": self.operator}


EVENTS += (RiskReviewed, LetterPreviewed, ReflectionSaved, ReflectionViewed, ConsultationShared,
           ConsultationViewed, EncryptionKeysRotated, PracticeReportViewed, PracticeReportExported, NoteDeidentified)


# The REST API (stillhere/api): the reads and writes the web has events for
# reuse them (client-viewed, measure-recorded, inbox-viewed, ...); these are
# the ones only the API does.
@dataclass(kw_only=True)
class ApiTokenCreated(Event):
    """A member made an API token (personal), or an admin made one for an integration (service).

    name: api-token-created
    """

    name: ClassVar[str] = "api-token-created"
    token: Any = None

    def target(self):
        return "api-token", str(self.token.pk)

    def data(self):
        return {"kind": self.token.kind, "role": self.token.membership.role}


@dataclass(kw_only=True)
class ApiTokenRevoked(Event):
    """An API token was revoked; it stops working at once.

    name: api-token-revoked
    """

    name: ClassVar[str] = "api-token-revoked"
    token: Any = None

    def target(self):
        return "api-token", str(self.token.pk)


@dataclass(kw_only=True)
class ClientCreated(Event):
    """A client was added one at a time (API), with a first episode of care.

    name: client-created
    """

    name: ClassVar[str] = "client-created"
    source: str = "api"

    def target(self):
        return "client", str(self.client.pk)

    def data(self):
        return {"source": self.source}


@dataclass(kw_only=True)
class ClientUpdated(Event):
    """A client's details were changed; records which fields, never their values.

    name: client-updated
    """

    name: ClassVar[str] = "client-updated"
    fields: list = field(default_factory=list)

    def target(self):
        return "client", str(self.client.pk)

    def data(self):
        return {"fields": sorted(self.fields)}


@dataclass(kw_only=True)
class EpisodeViewed(Event):
    """A member read an episode of care and its state history.

    name: episode-viewed
    """

    name: ClassVar[str] = "episode-viewed"
    episode: Any = None

    def target(self):
        return "episode", str(self.episode.pk)


@dataclass(kw_only=True)
class EpisodeEnded(Event):
    """A member ended an episode of care with a reason.

    name: episode-ended
    """

    name: ClassVar[str] = "episode-ended"
    episode: Any = None

    def target(self):
        return "episode", str(self.episode.pk)

    def data(self):
        return {"reason": self.episode.end_reason}


@dataclass(kw_only=True)
class AppointmentsListed(Event):
    """A member listed appointments they may see (a sync by updated_since); records how many.

    name: appointments-listed
    """

    name: ClassVar[str] = "appointments-listed"
    count: int = 0

    def data(self):
        return {"count": self.count}


@dataclass(kw_only=True)
class AppointmentWritten(Event):
    """An appointment was booked or its status changed one at a time (API).

    name: appointment-written
    """

    name: ClassVar[str] = "appointment-written"
    appointment: Any = None
    created: bool = False

    def target(self):
        return "appointment", str(self.appointment.pk)

    def data(self):
        return {"status": self.appointment.status, "created": self.created}


@dataclass(kw_only=True)
class EngagementViewed(Event):
    """A member read an episode's engagement state, dropout risk and no-show risks.

    name: engagement-viewed
    """

    name: ClassVar[str] = "engagement-viewed"
    episode: Any = None

    def target(self):
        return "episode", str(self.episode.pk)


@dataclass(kw_only=True)
class OutreachListed(Event):
    """A member listed outreach steps (e.g. those waiting for approval), or one client's attempts and replies.

    name: outreach-listed
    """

    name: ClassVar[str] = "outreach-listed"
    count: int = 0

    def target(self):
        return ("client", str(self.client.pk)) if self.client else ("", "")

    def data(self):
        return {"count": self.count}


@dataclass(kw_only=True)
class ScanStarted(Event):
    """A director or admin started a scan of the practice through the API.

    name: scan-started
    """

    name: ClassVar[str] = "scan-started"
    run: Any = None

    def target(self):
        return "scan", str(self.run.code)


@dataclass(kw_only=True)
class WebhookChanged(Event):
    """An admin registered (or switched off) a webhook address for the practice's integration.

    name: webhook-changed
    """

    name: ClassVar[str] = "webhook-changed"
    endpoint: Any = None

    def target(self):
        return "webhook", str(self.endpoint.code)

    def data(self):
        return {"active": self.endpoint.active, "events": list(self.endpoint.events)}


@dataclass(kw_only=True)
class WebhookDelivered(Event):
    """An event about a client (ids and a link, no names) reached the practice's webhook.

    name: webhook-delivered
    """

    name: ClassVar[str] = "webhook-delivered"
    delivery: Any = None

    def target(self):
        return "webhook-delivery", str(self.delivery.event_id)

    def data(self):
        return {"event": self.delivery.event, "tries": len(self.delivery.attempts)}


EVENTS += (ApiTokenCreated, ApiTokenRevoked, ClientCreated, ClientUpdated, EpisodeViewed, EpisodeEnded,
           AppointmentsListed, AppointmentWritten, EngagementViewed, OutreachListed, ScanStarted, WebhookChanged,
           WebhookDelivered)


# --- Running the practice from the web (stillhere/practice, clients entry views) ---
@dataclass(kw_only=True)
class SettingsChanged(Event):
    """A director or admin changed practice settings on a settings page; records which
    fields changed with their old and new values (settings, never client data).

    name: settings-changed
    """

    name: ClassVar[str] = "settings-changed"
    section: str = ""
    changes: dict = field(default_factory=dict)

    def data(self):
        return {"section": self.section, "changes": self.changes}


@dataclass(kw_only=True)
class MemberInvited(Event):
    """A director or admin invited a colleague by email (the link sets their password).

    name: member-invited
    """

    name: ClassVar[str] = "member-invited"
    member: Any = None

    def target(self):
        return "member", str(self.member.pk)

    def data(self):
        return {"role": self.member.role}


@dataclass(kw_only=True)
class MemberChanged(Event):
    """A director or admin changed a colleague's role, deactivated or reactivated them.

    name: member-changed
    """

    name: ClassVar[str] = "member-changed"
    member: Any = None
    change: dict = field(default_factory=dict)

    def target(self):
        return "member", str(self.member.pk)

    def data(self):
        return dict(self.change)


@dataclass(kw_only=True)
class PasswordResetRequested(Event):
    """Someone asked for a set-password email on the "forgot password" page (no address is kept).

    name: password-reset-requested
    """

    name: ClassVar[str] = "password-reset-requested"
    sent: bool = False

    def data(self):
        return {"sent": self.sent}


@dataclass(kw_only=True)
class PasswordSet(Event):
    """A person set their password from an emailed invitation or reset link.

    name: password-set
    """

    name: ClassVar[str] = "password-set"


@dataclass(kw_only=True)
class ClientSaved(Event):
    """A member added or edited a client by hand; names the fields changed, never their values.

    name: client-saved
    """

    name: ClassVar[str] = "client-saved"
    created: bool = False
    fields: list = field(default_factory=list)

    def target(self):
        return "client", str(self.client.pk)

    def data(self):
        return {"created": self.created, "fields": list(self.fields)}


@dataclass(kw_only=True)
class AppointmentSaved(Event):
    """A member booked, moved, cancelled or recorded the outcome of a session by hand.

    name: appointment-saved
    """

    name: ClassVar[str] = "appointment-saved"
    appointment: Any = None
    action: str = ""      # "booked", "rescheduled", "cancelled", "outcome"
    status: str = ""

    def target(self):
        return "appointment", str(self.appointment.pk)

    def data(self):
        return {"action": self.action, "status": self.status}


@dataclass(kw_only=True)
class BreakRecorded(Event):
    """A member recorded a planned break for an episode (no lapse is raised during it).

    name: break-recorded
    """

    name: ClassVar[str] = "break-recorded"
    days: int = 0

    def target(self):
        return "client", str(self.client.pk)

    def data(self):
        return {"days": self.days}


@dataclass(kw_only=True)
class ClientsSearched(Event):
    """A member searched for clients; records how many were found, never the words searched for.

    name: clients-searched
    """

    name: ClassVar[str] = "clients-searched"
    count: int = 0
    ended: bool = False

    def data(self):
        return {"count": self.count, "ended": self.ended}


@dataclass(kw_only=True)
class TodayViewed(Event):
    """A clinician opened their list of today's sessions.

    name: today-viewed
    """

    name: ClassVar[str] = "today-viewed"
    count: int = 0

    def data(self):
        return {"count": self.count}


EVENTS += (SettingsChanged, MemberInvited, MemberChanged, PasswordResetRequested, PasswordSet, ClientSaved,
           AppointmentSaved, BreakRecorded, ClientsSearched, TodayViewed)


_batch = threading.local()


@contextmanager
def batch():
    """Audit events `record`ed inside are written together when the block
    ends (also when it ends with an error): chained in the order recorded,
    under one lock, in one insert. A page that audits two accesses (the
    client page and its measures section) pays for one write, not two; every
    access is still a row of its own, written before the page is answered."""
    outer = getattr(_batch, "events", None)
    if outer is not None:  # already inside one: the outer block writes them
        yield
        return
    _batch.events = []
    try:
        yield
    finally:
        events, _batch.events = _batch.events, None
        if events:
            record_many(events)


def record(event: Event) -> AuditEvent | None:
    """Store one audit event. The only way the application writes audit rows.
    Inside `batch()` the event is written when the block ends (None is returned)."""
    pending = getattr(_batch, "events", None)
    if pending is not None:
        pending.append(event)
        return None
    target_type, target_id = event.target()
    data = _data(event)
    return AuditEvent.objects.create(
        practice=event.practice,
        actor=event.actor if getattr(event.actor, "is_authenticated", False) else None,
        verb=event.name,
        client=event.client,
        target_type=target_type,
        target_id=target_id,
        data=data,
    )


def _data(event: Event) -> dict:
    """The event's own data, with the ids of the clients a list showed."""
    data = event.data()
    shown = client_ids(event.clients)
    if shown or event.clients != ():
        data["clients"] = shown
    return data


def client_ids(clients) -> list[int]:
    """Sorted, distinct ids of the clients a page showed (clients, ids, or
    anything with a `client_id` or `client`: episodes, steps, inbox items)."""
    from stillhere.clients.models import Client

    ids = set()
    for c in clients or ():
        if isinstance(c, (tuple, list)) and c:
            c = c[0]   # (episode, status) rows
        if isinstance(c, int):
            ids.add(c)
        elif isinstance(c, Client):
            ids.add(c.pk)
        elif getattr(c, "client_id", None) is not None:
            ids.add(c.client_id)
        elif getattr(c, "client", None) is not None and getattr(c.client, "pk", None) is not None:
            ids.add(c.client.pk)
        elif getattr(c, "episode", None) is not None:
            ids.add(c.episode.client_id)
    return sorted(ids)


def record_many(events: list[Event]) -> list[AuditEvent]:
    """Store several audit events at once, chained in the order given (the
    tick's batches). The same rows `record` would write one by one."""
    from .chain import append_many

    rows = []
    for event in events:
        target_type, target_id = event.target()
        rows.append(AuditEvent(
            practice=event.practice,
            actor=event.actor if getattr(event.actor, "is_authenticated", False) else None,
            verb=event.name, client=event.client, target_type=target_type, target_id=target_id,
            data=_data(event), created=None))
    append_many(rows)
    return rows


# Sign-in security (issue 17): signing in and out, throttling and the second
# step. None carries a password, a code or the name typed; `user_id` names
# the account a refused sign-in was for.


@dataclass(kw_only=True)
class SignedIn(Event):
    """A person signed in with their password (the second step, if theirs, follows).

    name: signed-in
    """

    name: ClassVar[str] = "signed-in"


@dataclass(kw_only=True)
class SignedOut(Event):
    """A person signed out.

    name: signed-out
    """

    name: ClassVar[str] = "signed-out"


@dataclass(kw_only=True)
class SignInFailed(Event):
    """A wrong password was given for this account.

    name: sign-in-failed
    """

    name: ClassVar[str] = "sign-in-failed"
    user_id: int = 0

    def target(self):
        return "user", str(self.user_id)


@dataclass(kw_only=True)
class SignInLockedOut(Event):
    """Sign-in to this account from one address was refused after too many wrong passwords.

    name: sign-in-locked-out
    """

    name: ClassVar[str] = "sign-in-locked-out"
    user_id: int = 0

    def target(self):
        return "user", str(self.user_id)


@dataclass(kw_only=True)
class SignInUnlocked(Event):
    """An admin lifted a sign-in lockout before it ran out.

    name: sign-in-unlocked
    """

    name: ClassVar[str] = "sign-in-unlocked"
    user_id: int = 0

    def target(self):
        return "user", str(self.user_id)


@dataclass(kw_only=True)
class TwoStepSetUp(Event):
    """A person set up the second step (an authenticator app) and got new recovery codes.

    name: two-step-set-up
    """

    name: ClassVar[str] = "two-step-set-up"


@dataclass(kw_only=True)
class TwoStepPassed(Event):
    """A person passed the second step with a code from their app.

    name: two-step-passed
    """

    name: ClassVar[str] = "two-step-passed"


@dataclass(kw_only=True)
class TwoStepFailed(Event):
    """A wrong code was entered at the second step; records the count this sign-in.

    name: two-step-failed
    """

    name: ClassVar[str] = "two-step-failed"
    attempt: int = 0

    def data(self):
        return {"attempt": self.attempt}


@dataclass(kw_only=True)
class RecoveryCodeUsed(Event):
    """A person passed the second step with a recovery code; records how many are left.

    name: recovery-code-used
    """

    name: ClassVar[str] = "recovery-code-used"
    left: int = 0

    def data(self):
        return {"left": self.left}


@dataclass(kw_only=True)
class RecoveryCodesRenewed(Event):
    """A person replaced their recovery codes with new ones.

    name: recovery-codes-renewed
    """

    name: ClassVar[str] = "recovery-codes-renewed"


@dataclass(kw_only=True)
class TwoStepTurnedOff(Event):
    """A person whose role does not need it turned the second step off.

    name: two-step-turned-off
    """

    name: ClassVar[str] = "two-step-turned-off"


EVENTS += (SignedIn, SignedOut, SignInFailed, SignInLockedOut, SignInUnlocked, TwoStepSetUp, TwoStepPassed,
           TwoStepFailed, RecoveryCodeUsed, RecoveryCodesRenewed, TwoStepTurnedOff)


@dataclass(kw_only=True)
class AlertRaised(Event):
    """A clinician marked a "talk about it at the next session" item as raised.

    name: alert-raised
    """

    name: ClassVar[str] = "alert-raised"
    episode: Any = None

    def target(self):
        return "episode", str(self.episode.pk)


EVENTS += (AlertRaised,)


# --- One client's record: export and erasure (stillhere/clients/export.py, erase.py) ---


@dataclass(kw_only=True)
class ClientExported(Event):
    """A director or admin exported one client's whole record (JSON and PDF in a zip).

    name: client-exported
    """

    name: ClassVar[str] = "client-exported"
    counts: dict = field(default_factory=dict)
    where: str = ""   # "web" (downloaded) or "command"

    def target(self):
        return "client", str(self.client.pk)

    def data(self):
        return {"where": self.where, **self.counts}


@dataclass(kw_only=True)
class ClientErased(Event):
    """A director or admin erased one client and everything about them; what
    was deleted, by kind and count (the row keeps the client's former id and
    its pseudonym, nothing more).

    name: client-erased
    """

    name: ClassVar[str] = "client-erased"
    counts: dict = field(default_factory=dict)
    where: str = ""

    def target(self):
        return "client", str(self.client.pk)

    def data(self):
        return {"where": self.where, **self.counts}


@dataclass(kw_only=True)
class ImportPreviewed(Event):
    """A director or admin looked at the first rows of an uploaded import
    before running it (the rows are client data).

    name: import-previewed
    """

    name: ClassVar[str] = "import-previewed"
    run: Any = None
    rows: int = 0

    def target(self):
        return "import", str(self.run.code)

    def data(self):
        return {"rows": self.rows}


@dataclass(kw_only=True)
class AdminViewed(Event):
    """A member with admin-site access opened a list or record of client data
    in the Django admin.

    name: admin-viewed
    """

    name: ClassVar[str] = "admin-viewed"
    model: str = ""
    object_id: str = ""

    def target(self):
        return (self.model, self.object_id) if self.object_id else (self.model, "")


@dataclass(kw_only=True)
class ReflectionListViewed(Event):
    """A clinician listed their endings without goodbye (the reflection page).

    name: reflection-list-viewed
    """

    name: ClassVar[str] = "reflection-list-viewed"
    count: int = 0

    def data(self):
        return {"count": self.count}


EVENTS += (ClientExported, ClientErased, ImportPreviewed, AdminViewed, ReflectionListViewed)
