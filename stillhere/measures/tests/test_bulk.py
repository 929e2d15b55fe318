"""load_measures: the simulator's and the demo's results into the database."""

from datetime import date

import pandas as pd
import pytest
from django.test import TestCase

from stillhere.accounts.models import Practice
from stillhere.audit.models import AuditEvent
from stillhere.clients.models import Client
from stillhere.measures.bulk import load_measures
from stillhere.measures.models import MeasureResult
from stillhere.measures.scoring import ScoringError
from stillhere.simulator.generate import simulate
from stillhere.simulator.load import load_simulation
from stillhere.simulator.stories import story_frames
from stillhere.test import BaseTestCase


class LoadMeasuresTestCase(BaseTestCase):
    def frame(self, **over):
        rows = [{"client_id": "r-001", "date": date(2026, 1, 5), "instrument": "SRS", "total": 38.5},
                {"client_id": "r-001", "date": date(2026, 1, 5), "instrument": "phq9", "total": 9.0},
                {"client_id": "r-002", "date": date(2026, 2, 2), "instrument": "ORS", "total": 21.3}]
        df = pd.DataFrame(rows)
        for k, v in over.items():
            df.loc[v[0], k] = v[1]
        return df

    def test_it_stores_every_row_tied_to_sessions_and_episodes(self):
        counts = load_measures(self.riverside, self.frame())
        assert counts == {"measures": 3, "SRS": 1, "PHQ-9": 1, "ORS": 1}
        srs = MeasureResult.objects.get(instrument="SRS")
        assert srs.appointment.session_number == 1 and srs.source == "simulator"
        ors = MeasureResult.objects.get(instrument="ORS")
        assert ors.appointment is None and ors.episode.client == self.ben
        assert AuditEvent.objects.get(verb="measures-loaded").data["measures"] == 3

    def test_one_bad_row_refuses_the_whole_frame_and_names_the_row(self):
        with pytest.raises(ScoringError, match=r"PHQ-9 total: row 2 \(total\): 29 is above the highest possible"):
            load_measures(self.riverside, self.frame(total=(1, 29)))
        with pytest.raises(ScoringError, match=r"row 3 \(total\): 21.35 is finer than the scale records"):
            load_measures(self.riverside, self.frame(total=(2, 21.35)))
        with pytest.raises(ScoringError, match=r"row 1: 'BDI' is not a known instrument"):
            load_measures(self.riverside, self.frame(instrument=(0, "BDI")))
        assert MeasureResult.objects.count() == 0

    def test_items_are_scored_and_kept_when_given(self):
        df = self.frame()
        df["items"] = [None, "1;1;1;1;1;1;1;1;1", None]
        load_measures(self.riverside, df)
        assert MeasureResult.objects.get(instrument="PHQ-9").items == [1, 1, 1, 1, 1, 1, 1, 1, 1]
        df["items"] = [None, "1;1;1;1;1;1;1;1;7", None]
        with pytest.raises(ScoringError, match=r"row 2 \(item 9\): 7 is above the highest answer, 3."):
            load_measures(self.riverside, df)

    def test_an_unknown_client_is_refused(self):
        with pytest.raises(ValueError, match="row 1: no client with that client_id"):
            load_measures(self.hillside, self.frame())
        assert MeasureResult.objects.count() == 0


class SimulatorLoadTestCase(BaseTestCase):
    def test_the_simulator_loads_its_measures_with_the_practice(self):
        sim = simulate(60, seed=3, as_of=date(2026, 6, 1))
        practice, counts = load_simulation(sim, slug="sim")
        assert counts["measures"] == len(sim.measures) > 0
        rows = MeasureResult.objects.filter(practice=practice)
        assert set(rows.values_list("instrument", flat=True)) == set(sim.measures.instrument)
        # every simulated rating was taken at an attended session
        assert not rows.filter(appointment__isnull=True).exists()
        assert not rows.exclude(appointment__status="attended").exists()

    def test_the_story_of_too_much_too_soon_shows_the_alliance_alert(self):
        from stillhere.measures.alerts import ALLIANCE_DROP, ALLIANCE_LOW, current_alerts

        practice = Practice.objects.create(name="Stories", slug="stories", timezone="Europe/London")
        frames = story_frames(date(2026, 6, 1), "lead@practice.example", practice.timezone)
        from stillhere.clients.bulk import load_practice

        load_practice(practice, frames["clinicians"], frames["clients"], frames["episodes"], frames["appointments"])
        load_measures(practice, frames["measures"])
        priya = Client.objects.get(practice=practice, external_id="story-too-much")
        kinds = [a.kind for a in current_alerts(priya.measure_results.all())]
        assert kinds == [ALLIANCE_LOW, ALLIANCE_DROP]


class DemoTestCase(TestCase):
    def test_the_demo_loads_the_simulated_and_the_story_measures(self):
        from stillhere.simulator.management.commands.demo import Command

        Command().build(40, 2, 5)
        assert MeasureResult.objects.filter(client__external_id="story-too-much").count() == 7
        assert MeasureResult.objects.filter(source="simulator").count() > 40
