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


def episode_timelines(episodes) -> list[EpisodeTimeline]:
    appts = Appointment.objects.order_by("start").prefetch_related(
        Prefetch("markers", queryset=SessionMarker.objects.order_by("created"))
    )
    episodes = (
        episodes.select_related("clinician__user", "previous")
        .prefetch_related(Prefetch("appointments", queryset=appts))
        .order_by("-started")
    )
    return [EpisodeTimeline(e, list(e.appointments.all())) for e in episodes]
