"""The scan's no-show scores in the operational database come from the
facts summed up there (engagement/query.scan_copy: the upcoming
appointments and each client's history per episode) rather than from a
copy of every appointment; they are exactly the scores the full copy
gives (noshow.portable, as the scan did before), to the last bit, as of
several moments, with age counted and with a practice's fitted weights."""

from dataclasses import replace
from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone

import ibis
import pandas as pd
from django.test import TestCase

from stillhere.accounts.models import Practice
from stillhere.clients.bulk import load_practice
from stillhere.clients.models import Appointment
from stillhere.engagement import query
from stillhere.features.sources import from_django
from stillhere.risk import noshow
from stillhere.simulator.generate import simulate

AS_OF = date(2026, 6, 1)


class ScanNoShowTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        sim = simulate(150, seed=3, as_of=AS_OF)
        cls.practice = Practice.objects.create(name="Sim", slug="sim", timezone=sim.timezone)
        load_practice(cls.practice, sim.clinicians, sim.clients, sim.episodes, sim.appointments)

    def both(self, T: int, weights=noshow.DEFAULT, offset: int = 3600):
        src = from_django(self.practice.id)
        full = noshow.portable(src)
        before = noshow.frame(query.noshow_scores(full, T, weights, offset))
        local, moments, history = query.scan_copy(src, T, ("test", T))
        now = noshow.frame(noshow.scores(local, moments.mutate(as_of_s=ibis.literal(T, "int64")), weights, offset,
                                         history=history).select(query.NOSHOW_COLUMNS))
        full.backend.disconnect(), local.backend.disconnect()
        return (before.sort_values("appointment_id", ignore_index=True),
                now.sort_values("appointment_id", ignore_index=True))

    def test_summed_up_facts_give_the_same_scores_as_every_appointment(self):
        base = datetime.combine(AS_OF, datetime.min.time(), dt_timezone.utc)
        fitted = replace(noshow.DEFAULT, base=-1.9, rest=0.8, use_age=True,
                         lead={**noshow.DEFAULT.lead, "same_day": -1.1})
        for days_back, weights in ((0, noshow.DEFAULT), (60, fitted)):
            T = int((base - timedelta(days=days_back)).timestamp()) + 6 * 3600
            before, now = self.both(T, weights)
            self.assertGreater(len(before), 20, f"{days_back} days back")
            # Clients with misses and first visits are among them.
            self.assertTrue((before["n_missed"] > 0).any() and (before["n_attended"] == 0).any())
            pd.testing.assert_frame_equal(before, now, check_exact=True)

    def test_a_late_cancel_still_to_come_and_a_future_attended_row_are_not_history(self):
        """Rows dated after the moment never count, as in the full copy."""
        base = datetime.combine(AS_OF, datetime.min.time(), dt_timezone.utc)
        T = int(base.timestamp())
        ahead = list(Appointment.objects.filter(practice=self.practice, start__gte=base + timedelta(days=2),
                                                status="scheduled").order_by("id")[:3])
        self.assertEqual(len(ahead), 3)
        ahead[0].status, ahead[0].cancelled_at = "late_cancel", base + timedelta(days=1)
        ahead[1].status = "attended"   # an export that marks a future session attended
        ahead[2].status, ahead[2].cancelled_at = "late_cancel", base - timedelta(days=1)
        Appointment.objects.bulk_update(ahead, ["status", "cancelled_at"])
        before, now = self.both(T)
        pd.testing.assert_frame_equal(before, now, check_exact=True)
        self.assertIn(ahead[0].id, set(now["appointment_id"]))
        self.assertNotIn(ahead[2].id, set(now["appointment_id"]))
