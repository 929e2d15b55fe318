"""What the API accepts and answers, field by field.

Clients, steps and imports are named by their random codes, never by a
name or an external id in an address; episodes and appointments by their
numbers within what the caller may see.
"""

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from ninja import Field, Schema

from stillhere.clients.models import STYLE_FLAG_KEYS, Appointment, Episode

EndReason = Literal[tuple(Episode.EndReason.values)]  # type: ignore[valid-type]
ApptStatus = Literal[tuple(Appointment.Status.values)]  # type: ignore[valid-type]
StyleFlag = Literal[STYLE_FLAG_KEYS]  # type: ignore[valid-type]


class Page(Schema):
    next_cursor: str | None = Field(None, description="Pass as `cursor` to get the next page; null on the last page.")


class ClinicianOut(Schema):
    id: int
    name: str


class EpisodeBrief(Schema):
    id: int
    clinician: ClinicianOut
    started: date
    ended: date | None
    end_reason: str
    state: str
    state_since: datetime | None


class ClientOut(Schema):
    id: UUID
    external_id: str
    first_name: str
    last_name: str
    preferred_name: str
    pronouns: str
    birth_date: date | None
    email: str
    phone: str
    address_line1: str
    address_line2: str
    city: str
    region: str
    postal_code: str
    country: str
    consent_email: bool
    consent_sms: bool
    consent_voicemail: bool
    consent_letter: bool
    do_not_contact: bool
    safety_concern: bool
    style_flags: list[str]
    created: datetime
    episodes: list[EpisodeBrief]


class ClientPage(Page):
    items: list[ClientOut]


class ClientFields(Schema):
    """The fields a caller may set; every one optional on update."""

    preferred_name: str | None = Field(None, max_length=100)
    pronouns: str | None = Field(None, max_length=40)
    birth_date: date | None = None
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=40)
    address_line1: str | None = Field(None, max_length=200)
    address_line2: str | None = Field(None, max_length=200)
    city: str | None = Field(None, max_length=100)
    region: str | None = Field(None, max_length=100)
    postal_code: str | None = Field(None, max_length=20)
    country: str | None = Field(None, max_length=2)
    consent_email: bool | None = None
    consent_sms: bool | None = None
    consent_voicemail: bool | None = None
    consent_letter: bool | None = None
    do_not_contact: bool | None = None
    style_flags: list[StyleFlag] | None = None


class ClientUpdate(ClientFields):
    first_name: str | None = Field(None, min_length=1, max_length=100)
    last_name: str | None = Field(None, max_length=100)


class ClientCreate(ClientFields):
    external_id: str = Field(..., min_length=1, max_length=100, description="The client's id in your own system.")
    first_name: str = Field(..., min_length=1, max_length=100)
    last_name: str = Field("", max_length=100)
    clinician: int | None = Field(None, description="Member id of the clinician whose caseload the client joins; "
                                  "a clinician's own token may leave it out.")
    episode_started: date | None = Field(None, description="First day of the episode of care; default today.")


class StateChangeOut(Schema):
    old_state: str
    new_state: str
    reason: str
    detail: str
    at: datetime


class EpisodeOut(EpisodeBrief):
    client: UUID
    previous: int | None
    state_changes: list[StateChangeOut]


class EpisodeEnd(Schema):
    reason: EndReason
    ended_on: date | None = Field(None, description="Default today, in the practice's time zone.")


class AppointmentOut(Schema):
    id: int
    external_id: str
    episode: int
    client: UUID
    start: datetime
    duration_min: int
    status: str
    minutes_late: int
    session_number: int | None
    booked_at: datetime | None
    cancelled_at: datetime | None
    updated: datetime


class AppointmentPage(Page):
    items: list[AppointmentOut]


class AppointmentCreate(Schema):
    episode: int
    start: datetime
    duration_min: int = Field(50, ge=5, le=600)
    status: ApptStatus = "scheduled"
    external_id: str = Field("", max_length=100)
    booked_at: datetime | None = None
    minutes_late: int = Field(0, ge=0, le=600)


class AppointmentUpdate(Schema):
    status: ApptStatus
    minutes_late: int | None = Field(None, ge=0, le=600)
    cancelled_at: datetime | None = None


class MeasureCreate(Schema):
    client: UUID
    instrument: str = Field(..., min_length=1, max_length=40, description="SRS, ORS, PHQ-9, GAD-7 or a "
                            "practice's own code.")
    items: list[float] | None = Field(None, max_length=100, description="Item answers in order; needed for "
                                      "PHQ-9's safety item.")
    total: float | None = None
    taken_on: date | None = None
    appointment: int | None = None
    external_id: str = Field("", max_length=100)


class MeasureOut(Schema):
    id: int
    client: UUID
    episode: int | None
    appointment: int | None
    instrument: str
    taken_on: date
    items: list[float] | None
    total: float
    band: str | None = None
    flags: list[str] = []
    external_id: str
    source: str


class RiskOut(Schema):
    probability: float = Field(..., description="Chance of ending without goodbye in the next 30 days.")
    band: str
    reasons: list[str]
    as_of: datetime


class NoShowOut(Schema):
    appointment: int
    start: datetime
    probability: float
    reasons: list[str]


class EngagementOut(Schema):
    episode: int
    client: UUID
    state: str
    state_label: str
    state_since: datetime | None
    reason: str = Field(..., description="Why the episode is in this state, in words.")
    risk: RiskOut | None
    upcoming: list[NoShowOut]


class AttentionItem(Schema):
    group: str
    title: str
    reason: str
    action: str
    since: datetime | None
    due: datetime | None
    client: UUID
    episode: int
    step: UUID | None


class StepOut(Schema):
    id: UUID
    client: UUID
    episode: int
    position: int
    key: str
    channel: str
    status: str
    due: datetime
    subject: str
    body: str
    findings: list[dict]


class StepApprove(Schema):
    subject: str | None = Field(None, max_length=200)
    body: str | None = Field(None, max_length=20000)
    despite_findings: bool = False


class StepSkip(Schema):
    reason: str = Field("", max_length=150)


class CallLog(Schema):
    outcome: Literal["spoke", "voicemail", "no_answer"]
    note: str = Field("", max_length=2000)


class AttemptOut(Schema):
    id: UUID
    step: UUID
    channel: str
    status: str
    delivery: str
    created: datetime
    finished: datetime | None


class ReplyOut(Schema):
    id: int
    source: str
    received: datetime
    step: UUID | None
    text: str


class OutreachOut(Schema):
    steps: list[StepOut]
    attempts: list[AttemptOut]
    replies: list[ReplyOut]


class ImportOut(Schema):
    id: UUID
    kind: str
    status: str
    dry_run: bool
    progress: float
    created: datetime
    finished: datetime | None
    report: dict | None


class ScanOut(Schema):
    id: UUID
    status: str
    episodes: int
    changes: int
    created: datetime
    finished: datetime | None


class WebhookCreate(Schema):
    url: str = Field(..., max_length=500, description="An https:// address.")
    events: list[Literal["state.changed", "safety_check.opened", "reply.received", "episode.ended"]] = Field(
        ..., min_length=1)


class WebhookOut(Schema):
    id: UUID
    url: str
    events: list[str]
    active: bool
    created: datetime


class WebhookCreated(WebhookOut):
    secret: str = Field(..., description="The signing secret, shown this once.")


class DeliveryOut(Schema):
    event_id: UUID
    event: str
    status: str
    attempts: list[dict]
    created: datetime
    delivered: datetime | None
