"""A practice's own appointment signal (a text reminder received, say),
declared in the mapping file, through the normal CSV import to the fitted
no-show score, and only to a fitted one."""

import tempfile
from datetime import datetime, timedelta

import numpy as np

from stillhere.clients.models import Appointment
from stillhere.features.sources import from_django
from stillhere.ingest.models import AppointmentSignal
from stillhere.risk import calibration, noshow
from stillhere.risk.models import NoShowCalibration, NoShowRisk
from stillhere.test import BaseTestCase

from .helpers import FILES, run, run_with_report, write

CSV = FILES / "csv"

MAPPING = CSV / "other-ehr.toml"
SIGNALS = MAPPING.read_text() + '\n[appointments.signals]\nsms_received = "SMS received"\nreminders = "Reminders"\n'
HEADER = "Visit No,Patient Ref,Patient,Visit Date,Visit Time,Outcome,Booked On,SMS received,Reminders\n"


def rows(cells):
    return HEADER + "".join(f"V-{i},P-500,Rosa Diaz,{d},16:30,{o},{b},{s},{r}\n"
                            for i, (d, o, b, s, r) in enumerate(cells, start=1))


class SignalImportTests(BaseTestCase):
    def imported(self, text, mapping=SIGNALS, **kw):
        with tempfile.TemporaryDirectory() as tmp:
            return run_with_report("appointments", write(tmp, "visits.csv", text), "--mapping",
                                   write(tmp, "m.toml", mapping), "--practice", "riverside")

    def values(self):
        return {(s.appointment.external_id, s.name): s.value
                for s in AppointmentSignal.objects.filter(practice=self.riverside).select_related("appointment")}

    def test_a_mapped_column_is_stored_with_its_appointment_yes_no_as_one_and_zero(self):
        code, report, text = self.imported(rows([("14/07/2026", "Kept", "01/07/2026", "Yes", "2"),
                                                 ("21/07/2026", "DNA", "14/07/2026", "No", "0"),
                                                 ("28/07/2026", "Kept", "22/07/2026", "", "1")]))
        self.assertEqual(code, 0, text)
        self.assertEqual(self.values(), {("V-1", "sms_received"): 1.0, ("V-1", "reminders"): 2.0,
                                         ("V-2", "sms_received"): 0.0, ("V-2", "reminders"): 0.0,
                                         ("V-3", "reminders"): 1.0})
        self.assertNotIn("visits.csv", report["unknown_columns"])   # mapped, so not "unknown"
        self.assertEqual(report["counts"]["signals"]["created"], 5)

    def test_a_reimport_follows_the_file_and_an_empty_cell_removes_the_value(self):
        self.imported(rows([("14/07/2026", "Kept", "01/07/2026", "Yes", "2")]))
        code, report, text = self.imported(rows([("14/07/2026", "Kept", "01/07/2026", "", "3")]))
        self.assertEqual(code, 0, text)
        self.assertEqual(self.values(), {("V-1", "reminders"): 3.0})

    def test_a_bad_value_names_row_column_and_reason_and_writes_nothing(self):
        before = Appointment.objects.count()
        code, report, text = self.imported(rows([("14/07/2026", "Kept", "01/07/2026", "Yes", "2"),
                                                 ("21/07/2026", "DNA", "14/07/2026", "perhaps", "0")]))
        self.assertEqual(code, 2)
        [p] = report["problems"]
        self.assertEqual((p["file"], p["line"], p["column"]), ("visits.csv", 3, "SMS received"))
        self.assertIn("neither yes/no nor a number", p["reason"])
        self.assertNotIn("perhaps", text)
        self.assertEqual(Appointment.objects.count(), before)
        self.assertFalse(AppointmentSignal.objects.exists())

    def test_a_signal_column_the_file_lacks_is_named(self):
        code, report, _ = self.imported(HEADER.replace(",Reminders", "") + "V-1,P-500,Rosa Diaz,14/07/2026,16:30,"
                                        "Kept,01/07/2026,Yes\n")
        self.assertEqual(code, 2)
        self.assertEqual(report["problems"][0]["column"], "Reminders")
        self.assertIn("the mapping names this column for the signal reminders", report["problems"][0]["reason"])

    def test_a_signal_may_not_take_one_of_our_column_names_or_a_code_like_name(self):
        for bad, words in (('booked_at = "SMS received"', "already a column of appointments.csv"),
                           ('"SMS Received" = "SMS received"', "must start with a letter")):
            with tempfile.TemporaryDirectory() as tmp:
                m = write(tmp, "m.toml", MAPPING.read_text() + f"\n[appointments.signals]\n{bad}\n")
                code, _, err = run("appointments", CSV / "other-ehr.csv", "--mapping", m, "--practice",
                                   "riverside")
            self.assertEqual(code, 1)
            self.assertIn(words, err)


class SignalInTheFittedScoreTests(BaseTestCase):
    """Two years of weekly visits where a text reminder received halves the
    no-shows: the practice's fit learns a weight for it; the standard score
    never reads it."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        rng = np.random.default_rng(3)
        lines, start = [HEADER.replace("Visit No,Patient Ref", "Visit No,Patient Ref")], datetime(2024, 9, 2, 16, 30)
        n = 0
        for p in range(40):
            for w in range(90):
                d = start + timedelta(days=7 * w + (p % 5))
                sms = rng.random() < 0.5
                missed = rng.random() < (0.08 if sms else 0.30)
                n += 1
                lines.append(f"V-{n},P-{p},Client {p},{d:%d/%m/%Y},16:30,{'DNA' if missed else 'Kept'},"
                             f"{d - timedelta(days=7):%d/%m/%Y},{'Yes' if sms else 'No'},0\n")
        with tempfile.TemporaryDirectory() as tmp:
            code, out, err = run("appointments", write(tmp, "visits.csv", "".join(lines)), "--mapping",
                                 write(tmp, "m.toml", SIGNALS), "--practice", "riverside")
        assert code == 0, out + err

    def test_the_fit_weighs_the_signal_and_the_default_never_reads_it(self):
        self.assertEqual(calibration.signal_names(self.riverside), ["reminders", "sms_received"])
        # The import itself refitted the practice's score (booking.after_import).
        row = NoShowCalibration.objects.get(practice=self.riverside)
        now = row.fitted_at
        self.assertTrue(row.in_use, row.verdict)
        self.assertLess(row.weights["extra"]["sms_received"], -0.8)
        self.assertAlmostEqual(row.weights["extra"]["reminders"], 0.0, places=6)  # all 0: nothing to learn
        w = calibration.weights_for(self.riverside)
        self.assertEqual(w.extra, row.weights["extra"])

        # The same appointments scored as of their booking: with the fitted
        # weights a text received lowers the risk; the default weights give
        # the same score whatever the signal says.
        src = noshow.portable(from_django(self.riverside.id))
        fitted = calibration.scored_history(src, int(now.timestamp()), weights=w, signals=["sms_received"])
        default = calibration.scored_history(src, int(now.timestamp()), signals=["sms_received"])
        got = fitted.groupby("s_sms_received").noshow_risk.mean()
        self.assertLess(got[1.0] * 2, got[0.0])
        self.assertLess(abs(got[1.0] - 0.08), 0.04)
        plain = default.groupby("s_sms_received").noshow_risk.mean()
        self.assertLess(abs(plain[1.0] - plain[0.0]), 0.01)
        from sklearn.metrics import roc_auc_score

        # Two new bookings imported the same way, alike but for the text: scored at once with the fitted
        # weights, the one whose text was received is the less likely to be missed.
        upcoming = HEADER + "".join(f"N-{i},P-9{i},New {i},10/01/2027,16:30,Booked,01/12/2026,{sms},0\n"
                                    for i, sms in ((1, "Yes"), (2, "No")))
        with tempfile.TemporaryDirectory() as tmp:
            code, out, err = run("appointments", write(tmp, "new.csv", upcoming), "--mapping",
                                 write(tmp, "m.toml", SIGNALS.replace('"DNA" = "no_show"', '"DNA" = "no_show"\n'
                                                                      '"Booked" = "scheduled"')),
                                 "--practice", "riverside")
        self.assertEqual(code, 0, out + err)
        risk = {r.appointment.external_id: r for r in NoShowRisk.objects.filter(appointment__external_id__in=["N-1", "N-2"])}
        self.assertEqual({r.model_version for r in risk.values()}, {w.version})
        self.assertLess(risk["N-1"].probability * 2, risk["N-2"].probability)
        self.assertGreater(roc_auc_score(fitted.y, fitted.noshow_risk), roc_auc_score(default.y, default.noshow_risk) + 0.1)
