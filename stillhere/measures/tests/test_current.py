"""alerts_by_client: current alerts for a whole practice in one pass."""

from datetime import date, timedelta

from stillhere.measures.alerts import ALLIANCE_DROP, ALLIANCE_LOW, DETERIORATION, SAFETY, current_alerts
from stillhere.clients.models import Episode
from stillhere.measures.current import alerts_by_client
from stillhere.measures.models import MeasureResult
from stillhere.measures.record import record_result
from stillhere.measures.tests.test_alerts import weekly
from stillhere.test import BaseTestCase

D = date(2026, 1, 5)


class AlertsByClientTestCase(BaseTestCase):
    def test_it_gives_each_clients_alerts_and_leaves_out_calm_clients(self):
        record_result(self.ana, "SRS", total=39, taken_on=D)
        record_result(self.ana, "SRS", total=35, taken_on=D + timedelta(weeks=1))
        record_result(self.ben, "SRS", total=39, taken_on=D)
        record_result(self.ben, "PHQ-9", items=[0] * 8 + [2], taken_on=D)
        record_result(self.cleo, "SRS", total=20, taken_on=D)
        got = {cid: [a.kind for a in alerts] for cid, alerts in alerts_by_client(self.riverside).items()}
        assert got == {self.ana.pk: [ALLIANCE_LOW, ALLIANCE_DROP], self.ben.pk: [SAFETY]}

    def test_it_can_look_as_of_an_earlier_day_and_for_some_clients_only(self):
        record_result(self.ana, "PHQ-9", total=5, taken_on=D)
        record_result(self.ana, "PHQ-9", total=12, taken_on=D + timedelta(weeks=1))
        assert alerts_by_client(self.riverside, as_of=D) == {}
        assert [a.kind for a in alerts_by_client(self.riverside, [self.ana.pk])[self.ana.pk]] == [DETERIORATION]
        assert alerts_by_client(self.riverside, [self.ben.pk]) == {}

    def test_a_client_who_returns_starts_afresh(self):
        record_result(self.ana, "PHQ-9", items=[0] * 8 + [2], taken_on=D)          # a safety answer
        first = self.ana.episodes.get()
        first.ended, first.end_reason = date(2026, 2, 1), "no_goodbye"
        first.save()
        assert [a.kind for a in alerts_by_client(self.riverside, as_of=date(2026, 6, 1))[self.ana.pk]] == [SAFETY]
        back = Episode.objects.create(practice=self.riverside, client=self.ana, clinician=self.alice,
                                      started=date(2027, 1, 10), previous=first)
        assert alerts_by_client(self.riverside, as_of=date(2027, 1, 15)) == {}
        record_result(self.ana, "SRS", total=20, taken_on=date(2027, 1, 12))
        assert MeasureResult.objects.filter(client=self.ana, instrument="SRS").get().episode == back
        got = alerts_by_client(self.riverside, as_of=date(2027, 1, 15))
        assert [a.kind for a in got[self.ana.pk]] == [ALLIANCE_LOW]


def test_current_alerts_can_look_as_of_an_earlier_day():
    series = weekly("SRS", [39, 34, 39])
    assert current_alerts(series) == []
    assert [a.kind for a in current_alerts(series, as_of=date(2026, 3, 9))] == [ALLIANCE_LOW, ALLIANCE_DROP]
