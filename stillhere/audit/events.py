"""Typed audit events, one small class per kind of access.

Call sites build an event and pass it to `record()`, so the verb names and
the data each carries are defined once here and documented in docs/audit.md.
"""

from dataclasses import dataclass, field
from typing import Any, ClassVar

from .models import AuditEvent


@dataclass(kw_only=True)
class Event:
    name: ClassVar[str] = ""
    practice: Any
    actor: Any = None  # a User, or None for the system (tick, import)
    client: Any = None

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
    """A member listed the clients they may see; records how many were shown.

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


EVENTS: tuple[type[Event], ...] = (ClientViewed, ClientListViewed, PracticeLoaded, MeasureRecorded, MeasuresViewed,
                                     CheckinIntervalSet, CheckinsDueViewed, MeasuresLoaded, MeasuresSettingsChanged)


def record(event: Event) -> AuditEvent:
    """Store one audit event. The only way the application writes audit rows."""
    target_type, target_id = event.target()
    return AuditEvent.objects.create(
        practice=event.practice,
        actor=event.actor if getattr(event.actor, "is_authenticated", False) else None,
        verb=event.name,
        client=event.client,
        target_type=target_type,
        target_id=target_id,
        data=event.data(),
    )
