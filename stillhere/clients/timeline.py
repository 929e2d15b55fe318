"""A client's history as the clinician reads it: episodes, newest first, each
with its appointments and markers in date order."""

from dataclasses import dataclass

from django.db.models import Prefetch

from .models import Appointment, Episode, SessionMarker


@dataclass
class EpisodeTimeline:
    episode: Episode
    appointments: list[Appointment]

    @property
    def attended(self) -> int:
        return sum(a.status == Appointment.Status.ATTENDED for a in self.appointments)

    @property
    def missed(self) -> int:
        return sum(a.was_missed for a in self.appointments)

    @property
    def risk(self):
        return getattr(self.episode, "current_risk", None)

    @property
    def changes(self):
        return list(self.episode.state_changes.all())


def episode_timelines(episodes) -> list[EpisodeTimeline]:
    appts = Appointment.objects.order_by("start").prefetch_related(
        Prefetch("markers", queryset=SessionMarker.objects.order_by("created"))
    )
    from stillhere.engagement.models import StateChange

    changes = StateChange.objects.order_by("at", "id").select_related("by__user")
    episodes = (
        episodes.select_related("clinician__user", "previous", "current_risk")
        .prefetch_related(Prefetch("appointments", queryset=appts), Prefetch("state_changes", queryset=changes))
        .order_by("-started")
    )
    return [EpisodeTimeline(e, list(e.appointments.all())) for e in episodes]
