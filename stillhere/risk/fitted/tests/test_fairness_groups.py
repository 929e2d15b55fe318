"""Group fields a practice chooses to import for the fairness report
([clients.groups] in a mapping file): through the normal CSV import,
encrypted at rest, checked on the model card by group, and never an input
of the model."""

import json
import tempfile

import numpy as np
from django.db import connection

from stillhere.clients.models import Client
from stillhere.ingest.mapping import MappingError, parse_mapping
from stillhere.ingest.tests.helpers import run_with_report, write
from stillhere.risk.fitted import card, fit, rows
from stillhere.risk.fitted.tests.test_fitted import ModelDir, synthetic_rows
from stillhere.test import BaseTestCase

MAPPING = '[clients.groups]\ngender = "Gender"\ninsurer = "Insurer"\n'
APPTS = ("appointment_id,client_id,clinician,start,status\n"
         "a-1,c-01,alice@example.org,2026-02-02 10:00,attended\n"
         "a-2,c-02,alice@example.org,2026-02-03 10:00,attended\n")


def clients(*rows_):
    return "client_id,first_name,last_name,Gender,Insurer\n" + "".join(",".join(r) + "\n" for r in rows_)


class GroupImportTests(BaseTestCase):
    def imported(self, clients_csv, mapping=MAPPING):
        with tempfile.TemporaryDirectory() as tmp:
            return run_with_report("appointments", write(tmp, "appointments.csv", APPTS), "--clients",
                                   write(tmp, "clients.csv", clients_csv), "--mapping", write(tmp, "m.toml", mapping),
                                   "--practice", "riverside")

    def groups(self):
        return {c.external_id: json.loads(c.report_groups) if c.report_groups else {}
                for c in Client.objects.filter(practice=self.riverside).with_record_numbers(["c-01", "c-02"])}

    def test_mapped_group_columns_are_stored_with_the_client_and_encrypted(self):
        code, report, text = self.imported(clients(("c-01", "Maya", "Lind", "Woman", "Aviva"),
                                                   ("c-02", "Theo", "Grant", "Non-binary", "")))
        self.assertEqual(code, 0, text)
        self.assertEqual(self.groups(), {"c-01": {"gender": "Woman", "insurer": "Aviva"},
                                         "c-02": {"gender": "Non-binary"}})
        self.assertNotIn("clients.csv", report["unknown_columns"])
        with connection.cursor() as cur:
            cur.execute("SELECT report_groups FROM clients_client")
            stored = " ".join(r[0] for r in cur.fetchall())
        self.assertNotIn("Woman", stored)
        self.assertNotIn("gender", stored)

    def test_a_reimport_of_the_same_file_changes_nothing_and_an_emptied_cell_clears_its_group(self):
        first = clients(("c-01", "Maya", "Lind", "Woman", "Aviva"), ("c-02", "Theo", "Grant", "Man", "Bupa"))
        self.imported(first)
        code, report, _ = self.imported(first)
        self.assertEqual(report["counts"]["clients"].get("updated", 0), 0)
        self.imported(clients(("c-01", "Maya", "Lind", "Woman", ""), ("c-02", "Theo", "Grant", "Man", "Bupa")))
        self.assertEqual(self.groups()["c-01"], {"gender": "Woman"})

    def test_without_the_mapping_section_nothing_is_imported(self):
        code, report, text = self.imported(clients(("c-01", "Maya", "Lind", "Woman", "Aviva"),
                                                   ("c-02", "Theo", "Grant", "Man", "")), mapping="")
        self.assertEqual(code, 0, text)
        self.assertEqual(self.groups()["c-01"], {})
        self.assertEqual(report["unknown_columns"]["clients.csv"], ["Gender", "Insurer"])

    def test_a_mapped_column_the_file_lacks_is_named(self):
        code, report, _ = self.imported("client_id,first_name,last_name,Gender\nc-01,Maya,Lind,Woman\n")
        self.assertEqual(code, 2)
        self.assertEqual(report["problems"][0]["column"], "Insurer")
        self.assertIn("for the group insurer", report["problems"][0]["reason"])

    def test_bad_group_names_are_refused_in_words(self):
        for bad, words in (('first_name = "Gender"', "already a column of clients.csv"),
                           ('"Gender Identity" = "Gender"', "must start with a letter"),
                           ("gender = 3", "one column of the file")):
            with self.subTest(bad), self.assertRaises(MappingError) as e:
                parse_mapping({"clients": {"groups": dict([tuple(x.strip().strip('"') for x in bad.split("="))])}
                               if bad != "gender = 3" else {"groups": {"gender": 3}}}, "m")
            self.assertIn(words, str(e.exception))
        many = {f"g{i}": f"G{i}" for i in range(6)}
        with self.assertRaises(MappingError) as e:
            parse_mapping({"clients": {"groups": many}}, "m")
        self.assertIn("at most 5", str(e.exception))


class GroupReportTests(ModelDir, BaseTestCase):
    def test_the_fit_reports_each_imported_group_and_never_learns_from_it(self):
        data = synthetic_rows(default_knows=False)
        rng = np.random.default_rng(1)
        # Scores that run too low for one group: the report must say so.
        data["group:gender"] = rng.choice(["Woman", "Man", rows.NO_GROUP], len(data))
        f = fit.fit(data)
        self.assertTrue(f.in_use, f.why)
        self.assertFalse([c for c in f.features if "gender" in c or c.startswith(rows.GROUP_PREFIX)])
        report = f.metrics["fairness_groups"]["gender"]
        self.assertEqual({g["group"] for g in report["fitted"]}, {"Woman", "Man", rows.NO_GROUP})
        self.assertEqual(sum(g["n"] for g in report["fitted"]), f.metrics["held_out_rows"])
        # The same fit without the group column gives the same model: it never read it.
        plain = fit.fit(data.drop(columns=["group:gender"]))
        self.assertEqual(plain.metrics["fitted"]["auc"], f.metrics["fitted"]["auc"])

    def test_the_card_names_the_imported_groups_and_warns_where_one_is_served_worse(self):
        from stillhere.risk.fitted import store

        data = synthetic_rows(default_knows=False)
        group = np.where(np.arange(len(data)) % 3 == 0, "Aviva", "Bupa")
        data["group:insurer"] = group
        # Aviva's clients leave far more often than anyone's score says.
        aviva = (group == "Aviva") & (data.t_s >= np.sort(data.t_s.unique())[16])
        data.loc[aviva, "y"] = (np.random.default_rng(2).random(aviva.sum()) < 0.6).astype(int)
        store.save(self.riverside, fit.fit(data))
        c = card.build(self.riverside)
        [rep] = c.imported
        self.assertEqual(rep.name, "insurer")
        self.assertTrue(any("clients recorded as Aviva (insurer)" in w and "run too low" in w for w in rep.warnings),
                        rep.warnings)
        self.assertTrue(any("imported insurer for this report only" in d for d in c.demographics))
        text = card.text(c)
        self.assertIn("Fairness, by insurer", text)
        self.assertIn("Aviva:", text)
        # The director's page: the same table and warning, under its own heading.
        self.login(self.dora)
        r = self.client.get("/practice/model/")
        self.assertContains(r, "Is it fair across age groups and the groups the practice imported?")
        self.assertContains(r, "<h3>By insurer</h3>", html=False)
        self.assertContains(r, "By insurer, on the held-out weeks")
        self.assertContains(r, "clients recorded as Aviva (insurer)")


class AgeBandTests(BaseTestCase):
    def test_a_birth_date_after_the_moment_counts_in_the_youngest_band_rather_than_failing_the_fit(self):
        self.assertEqual(rows.age_band(-0.4), "under 25")
        self.assertEqual(rows.age_band(float("nan")), rows.NO_AGE)
        self.assertEqual(rows.age_band(70), "65 and over")
