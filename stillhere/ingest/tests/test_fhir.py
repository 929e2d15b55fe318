import json
import tempfile
from datetime import date, datetime, timezone
from pathlib import Path

from stillhere.accounts.models import Membership
from stillhere.clients.models import Appointment, Client
from stillhere.measures.models import MeasureResult
from stillhere.test import BaseTestCase

from .helpers import FILES, run_with_report, write

FHIR = FILES / "fhir"
HL7 = FHIR / "hl7"


class Hl7ExamplesTestCase(BaseTestCase):
    """The HL7 FHIR R4 specification's own example resources (CC0)."""

    def test_it_imports_the_specifications_patient_appointments_and_encounter(self):
        code, report, text = run_with_report("fhir", HL7, "--practice", "riverside")
        self.assertEqual(code, 0, text)
        peter = Client.objects.get(practice=self.riverside, external_id="Patient/example")
        self.assertEqual((peter.first_name, peter.last_name, peter.preferred_name, peter.birth_date),
                         ("Peter James", "Chalmers", "Jim", date(1974, 12, 25)))
        self.assertEqual(peter.city, "PleasantVille")
        appts = {a.external_id: a for a in Appointment.objects.filter(episode__client=peter)}
        self.assertEqual(set(appts), {"Appointment/example", "Appointment/2docs", "Encounter/home"})
        mri = appts["Appointment/example"]
        self.assertEqual((mri.status, mri.start, mri.duration_min),
                         ("scheduled", datetime(2013, 12, 10, 9, tzinfo=timezone.utc), 120))
        home = appts["Encounter/home"]  # finished home visit at 16:00 +10:00
        self.assertEqual((home.status, home.start, home.duration_min, home.session_number),
                         ("attended", datetime(2015, 1, 17, 6, tzinfo=timezone.utc), 30, 1))
        careful = Membership.objects.get(practice=self.riverside, display_name="Adam Careful")
        self.assertEqual({a.episode.clinician for a in appts.values()}, {careful})
        self.assertEqual(report["new_clinicians"], [{"email": "", "name": "Adam Careful"}])

    def test_what_it_does_not_import_is_listed_with_the_reason(self):
        code, report, _ = run_with_report("fhir", HL7, "--practice", "riverside")
        skipped = {s["column"]: s["reason"] for s in report["skipped"]}
        self.assertIn("MedicationRequest is not a resource", skipped["MedicationRequest/3123"])
        self.assertIn("not a booked appointment", skipped["Appointment/examplereq"])
        self.assertEqual(skipped["Encounter/example"], "no start time")
        self.assertEqual(skipped["Observation/glasgow"], "not a PHQ-9 or GAD-7 result")

    def test_reimporting_the_examples_changes_nothing(self):
        run_with_report("fhir", HL7, "--practice", "riverside")
        code, report, _ = run_with_report("fhir", HL7, "--practice", "riverside")
        self.assertEqual(report["counts"]["appointments"], {"created": 0, "updated": 0, "unchanged": 3})
        self.assertEqual(report["counts"]["clients"], {"created": 0, "updated": 0, "unchanged": 1})


class ClinicBundleTestCase(BaseTestCase):
    """Our own Bundle: PHQ-9 / GAD-7 by LOINC, encounters closing appointments, urn:uuid references."""

    def check(self):
        elsa = Client.objects.get(external_id="Patient/pat-21")
        self.assertEqual((elsa.email, elsa.country), ("elsa.quint@example.org", "GB"))
        got = [(a.external_id, a.status, a.session_number) for a in
               Appointment.objects.filter(episode__client=elsa).order_by("start")]
        self.assertEqual(got, [("Appointment/ap-1", "attended", 1), ("Appointment/ap-2", "no_show", None),
                               ("Appointment/ap-3", "clinician_cancelled", None), ("Encounter/enc-2", "attended", 2)])
        nina = Membership.objects.get(user__email="nina.ward@clinic.example")
        self.assertEqual(Appointment.objects.get(external_id="Appointment/ap-1").episode.clinician, nina)
        phq = MeasureResult.objects.get(client=elsa, instrument="PHQ-9")
        self.assertEqual((phq.total, phq.items, phq.taken_on, phq.source),
                         (8, [1, 2, 1, 2, 0, 1, 1, 0, 0], date(2026, 3, 3), "fhir"))
        self.assertEqual(MeasureResult.objects.get(client=elsa, instrument="GAD-7").total, 12)

    def test_a_bundle(self):
        code, report, text = run_with_report("fhir", FHIR / "clinic-bundle.json", "--practice", "riverside")
        self.assertEqual(code, 0, text)
        self.check()

    def test_bulk_ndjson_one_file_per_type(self):
        entries = json.loads((FHIR / "clinic-bundle.json").read_text())["entry"]
        with tempfile.TemporaryDirectory() as tmp:
            by_type = {}
            for e in entries:
                r = dict(e["resource"])
                by_type.setdefault(r["resourceType"], []).append(json.dumps(r))
            for t, lines in by_type.items():
                (Path(tmp) / f"{t}.ndjson").write_text("\n".join(lines) + "\n")
            # Bulk data refers by "Type/id"; the Bundle's urn:uuid references have no meaning here.
            urn = "urn:uuid:6c1d6b3e-0000-4000-8000-0000000000"
            for name in ("Appointment", "Encounter"):
                path = Path(tmp) / f"{name}.ndjson"
                path.write_text(path.read_text().replace(f"{urn}01", "Patient/pat-21").replace(
                    f"{urn}02", "Practitioner/prac-3").replace(f"{urn}03", "Appointment/ap-1"))
            code, report, text = run_with_report("fhir", tmp, "--practice", "riverside")
        self.assertEqual(code, 0, text)
        self.check()

    def test_an_invalid_resource_writes_nothing_and_names_the_field(self):
        data = json.loads((FHIR / "clinic-bundle.json").read_text())
        data["entry"][4]["resource"]["start"] = "next tuesday"
        data["entry"][5]["resource"]["status"] = "maybe"
        with tempfile.TemporaryDirectory() as tmp:
            f = write(tmp, "b.json", json.dumps(data))
            code, report, _ = run_with_report("fhir", f, "--practice", "riverside")
        self.assertEqual(code, 2)
        p = report["problems"][0]
        self.assertEqual((p["file"], p["column"]), ("b.json", "Appointment/ap-2 start"))
        self.assertIn("not valid FHIR R4", p["reason"])
        self.assertEqual(report["problems"][1]["column"], "Appointment/ap-3 status")
        self.assertFalse(Client.objects.filter(external_id="Patient/pat-21").exists())

    def test_a_phq9_with_an_impossible_answer_is_refused_by_the_registry(self):
        data = json.loads((FHIR / "clinic-bundle.json").read_text())
        data["entry"][7]["resource"]["item"][9]["answer"][0]["valueInteger"] = 30
        with tempfile.TemporaryDirectory() as tmp:
            code, report, _ = run_with_report("fhir", write(tmp, "b.json", json.dumps(data)), "--practice", "riverside")
        self.assertEqual(code, 2)
        self.assertEqual(report["problems"][0]["column"], "total")
        self.assertIn("PHQ-9", report["problems"][0]["reason"])
        self.assertFalse(MeasureResult.objects.exists())
