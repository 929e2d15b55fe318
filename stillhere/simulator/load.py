"""Put a simulated practice (and optionally the four stories) into the database."""

from stillhere.accounts.models import Practice
from stillhere.clients.bulk import load_practice
from stillhere.measures.bulk import load_measures

from .generate import SimulatedPractice


def load_simulation(sim: SimulatedPractice, slug: str = "simulated", name: str | None = None):
    practice, _ = Practice.objects.get_or_create(
        slug=slug, defaults={"name": name or slug.replace("-", " ").title(), "timezone": sim.timezone})
    counts = load_practice(practice, sim.clinicians, sim.clients, sim.episodes, sim.appointments)
    counts["measures"] = load_measures(practice, sim.measures)["measures"]
    return practice, counts
