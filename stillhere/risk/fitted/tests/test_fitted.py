from datetime import date, datetime, timezone

import pandas as pd
from django.core.management import call_command
from django.test import TestCase

from stillhere.accounts.models import Practice
from stillhere.clients.models import Appointment
from stillhere.features.sources import from_django
from stillhere.risk.fitted import fit, rows


class FittedTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        call_command("simulate", clients=120, into_db=True, practice="sim", as_of=date(2026, 11, 1), years=1,
                     verbosity=0)
        cls.practice = Practice.objects.get(slug="sim")

    def test_features_at_T_ignore_later_facts(self):
        T = int(datetime(2026, 6, 1, tzinfo=timezone.utc).timestamp())
        before = rows.features_at(from_django(self.practice.pk), T).sort_values("episode_id")
        later = Appointment.objects.filter(episode__client__practice=self.practice).first()
        later.pk = None
        later.start = datetime(2026, 6, 3, tzinfo=timezone.utc)
        later.status = "no_show"
        later.external_id = "later-fact"
        later.save()
        after = rows.features_at(from_django(self.practice.pk), T).sort_values("episode_id")
        pd.testing.assert_frame_equal(before.reset_index(drop=True), after.reset_index(drop=True))

    def test_too_few_events_keeps_default(self):
        src = from_django(self.practice.pk)
        data = rows.training_rows(src, int(datetime(2026, 11, 1, tzinfo=timezone.utc).timestamp()), step_days=28)
        f = fit.fit(data)
        self.assertFalse(f.in_use)
        self.assertTrue(f.why.startswith("Not"))
