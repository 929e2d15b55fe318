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


EVENTS: tuple[type[Event], ...] = (ClientViewed, ClientListViewed, PracticeLoaded)


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
