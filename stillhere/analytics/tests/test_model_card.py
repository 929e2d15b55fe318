"""The model card page: directors and admins see what the dropout model in
use learned from, how it did, its fairness by age band and its limits, in
words; clinicians are refused; no client is named, so nothing is audited."""

from io import StringIO

from django.core.management import call_command

from stillhere.audit.models import AuditEvent
from stillhere.risk.fitted import fit, store
from stillhere.risk.fitted.tests.test_fitted import ModelDir, synthetic_rows
from stillhere.test import BaseTestCase


class ModelCardTestCase(ModelDir, BaseTestCase):
    def test_without_a_fit_the_page_says_the_standard_model_is_in_use_and_why(self):
        self.login(self.dora)
        r = self.client.get("/practice/model/")
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, "In use: the standard model")
        self.assertContains(r, "Nobody has fitted a model to this practice")
        self.assertContains(r, "No personal details (age, gender, ethnicity or any other group) are inputs")
        self.assertContains(r, "Age does not count in the chance of a missed session")

    def test_a_director_reads_the_card_of_a_fitted_model_and_a_clinician_is_refused(self):
        rows = synthetic_rows(default_knows=False)
        rows.loc[rows.age_band == "under 25", "risk"] = 0.0   # so the standard model is off for them
        row = store.save(self.riverside, fit.fit(rows))
        self.assertTrue(row.in_use)
        self.login(self.dora)
        page = self.client.get("/practice/")
        self.assertContains(page, 'href="/practice/model/"')
        before = AuditEvent.objects.count()
        r = self.client.get("/practice/model/")
        # Counts and rates only: nothing for the audit log.
        self.assertEqual(AuditEvent.objects.count(), before)
        self.assertContains(r, "In use: this practice&#x27;s own model")
        self.assertContains(r, "endings without goodbye</strong>")
        self.assertContains(r, "Calibration: predicted against observed")
        self.assertContains(r, "A missed session with no word since")       # the strongest signal, in words
        self.assertContains(r, "Known limits")
        self.assertContains(r, "under 25")
        card = r.context["card"]
        fitted, standard = card.measures
        self.assertGreater(fitted.auc, standard.auc)
        self.assertLess(fitted.auc_ci[0], fitted.auc)
        self.assertEqual(len(fitted.calibration), 10)
        # The card, as `stillhere model show` prints it, says the same things.
        out = StringIO()
        call_command("model", "show", "--practice", "riverside", stdout=out)
        text = out.getvalue()
        self.assertIn("In use for dropout risk: this practice's own model.", text)
        self.assertIn(f"ranking (AUC) {fitted.auc:.2f}", text)
        self.assertIn("Fairness, by age band", text)
        self.assertIn("No personal details", text)
        for who in (self.alice, self.cora):
            self.client.logout()
            self.login(who)
            self.assertEqual(self.client.get("/practice/model/").status_code, 404)

    def test_a_group_served_worse_is_named_in_plain_words(self):
        rows = synthetic_rows(default_knows=False)
        young = rows.age_band == "under 25"
        rows.loc[young, "c_missed_open"] = rows.loc[young, "c_missed_open"].sample(frac=1, random_state=0).values
        row = store.save(self.riverside, fit.fit(rows))
        self.login(self.adam)
        r = self.client.get("/practice/model/")
        self.assertContains(r, "It tells apart who will leave less well for clients aged under 25")
        self.assertContains(r, "Read their scores with more care.")
        self.assertTrue(row.in_use)
