"""record_result: the one call the web form, imports and the API make."""

from datetime import date, datetime, timezone

import pytest
import time_machine

from stillhere.audit.models import AuditEvent
from stillhere.clients.models import Appointment, Episode
from stillhere.measures.custom import registry_for, save_config
from stillhere.measures.models import MeasureResult
from stillhere.measures.record import record_result
from stillhere.measures.scoring import ScoringError
from stillhere.test import BaseTestCase


class RecordResultTestCase(BaseTestCase):
    def test_it_stores_the_scored_result_tied_to_that_days_session(self):
        row = record_result(self.ana, "phq9", items=[1, 1, 1, 1, 1, 1, 1, 1, 0], taken_on=date(2026, 1, 5),
                            actor=self.alice.user)
        row.refresh_from_db()
        assert (row.instrument, row.total, row.items) == ("PHQ-9", 8.0, [1, 1, 1, 1, 1, 1, 1, 1, 0])
        assert row.appointment.session_number == 1
        assert row.episode == row.appointment.episode
        assert row.score.band == "mild" and row.created
        assert AuditEvent.objects.filter(verb="measure-recorded", client=self.ana, actor=self.alice.user).exists()

    def test_the_date_comes_from_the_appointment_in_the_practice_time_zone(self):
        # 23:30 UTC on 30 June is already 1 July in London (summer time).
        ep = self.ana.episodes.get()
        late = Appointment.objects.create(practice=self.riverside, episode=ep, status="attended",
                                          start=datetime(2026, 6, 30, 23, 30, tzinfo=timezone.utc))
        row = record_result(self.ana, "SRS", total=38, appointment=late)
        assert row.taken_on == date(2026, 7, 1)

    def test_without_a_session_that_day_it_belongs_to_the_running_episode(self):
        row = record_result(self.ana, "ORS", total=20, taken_on=date(2026, 2, 1))
        assert row.appointment is None
        assert row.episode == self.ana.episodes.get()

    @time_machine.travel(datetime(2026, 3, 1, 23, 30, tzinfo=timezone.utc), tick=False)
    def test_without_a_date_it_is_today_where_the_practice_is(self):
        row = record_result(self.ana, "SRS", total=38)
        assert row.taken_on == date(2026, 3, 1)

    def test_bad_answers_store_nothing_and_say_which_item(self):
        with pytest.raises(ScoringError, match=r"GAD-7 item 2 \(Unable to stop worrying\): missing."):
            record_result(self.ana, "GAD-7", items=[1, None, 1, 1, 1, 1, 1])
        assert MeasureResult.objects.count() == 0
        assert not AuditEvent.objects.filter(verb="measure-recorded").exists()

    def test_an_appointment_of_another_client_is_refused(self):
        bens = Appointment.objects.filter(episode__client=self.ben).first()
        with pytest.raises(ValueError, match="belongs to another client"):
            record_result(self.ana, "SRS", total=38, appointment=bens)

    def test_the_same_external_id_updates_the_row_so_reimporting_is_harmless(self):
        a = record_result(self.ana, "SRS", total=38, taken_on=date(2026, 1, 5), external_id="m-1", source="csv")
        b = record_result(self.ana, "SRS", total=34, taken_on=date(2026, 1, 5), external_id="m-1", source="csv")
        assert a.pk == b.pk and not b.created
        assert MeasureResult.objects.get().total == 34

    def test_an_external_id_of_another_client_is_refused(self):
        record_result(self.ana, "SRS", total=38, external_id="m-1")
        with pytest.raises(ValueError, match="already used for another client"):
            record_result(self.ben, "SRS", total=38, external_id="m-1")
        assert MeasureResult.objects.get().client == self.ana

    def test_an_importer_can_pass_the_registry_once_and_skip_per_row_audit(self):
        save_config(self.riverside, "[[instrument]]\ncode='MINI'\nname='Mini'\nkind='outcome'\nitem_low=0\n"
                                    "item_high=2\nitems=2\nreliable_change=2\n")
        reg = registry_for(self.riverside)
        row = record_result(self.ana, "MINI", items=[1, 2], registry=reg, audit=False, source="csv")
        assert row.total == 3
        assert not AuditEvent.objects.filter(verb="measure-recorded").exists()

    def test_a_child_is_scored_against_the_child_cutoff(self):
        self.ana.birth_date = date(2018, 5, 1)
        self.ana.save()
        assert record_result(self.ana, "ORS", total=30, taken_on=date(2026, 1, 5)).score.below_cutoff

    def test_a_result_taken_during_an_earlier_episode_belongs_to_it(self):
        old = Episode.objects.create(practice=self.riverside, client=self.ana, clinician=self.alice,
                                     started=date(2024, 1, 1), ended=date(2024, 9, 1))
        row = record_result(self.ana, "ORS", total=20, taken_on=date(2024, 5, 1))
        assert row.episode == old
