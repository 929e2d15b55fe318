"""An EHR posts FHIR files, a scheduling tool posts a calendar: the same
import run as the web page, to the end, through the API."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from stillhere.clients.models import Appointment, Client
from stillhere.ingest.models import ImportRun
from stillhere.ingest.tests.helpers import FILES, PrivateDataDir

from .helpers import ApiTestCase

CAL = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:one@x\r\n"
       "DTSTART:20260420T090000Z\r\nDTEND:20260420T095000Z\r\nSUMMARY:Session with Ana Abbott\r\n"
       "END:VEVENT\r\nEND:VCALENDAR\r\n")


def upload(name, data: bytes, kind="application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=kind)


@override_settings(INGEST_INLINE=True)
class ApiFileImportsTestCase(PrivateDataDir, ApiTestCase):
    def post(self, path, who, data, **headers):
        return self.client.post(f"/api/v1{path}", data, HTTP_AUTHORIZATION=f"Bearer {self.secrets[who]}", **headers)

    def test_fhir_files_import_to_the_end(self):
        files = [upload(p.name, p.read_bytes(), "application/fhir+json")
                 for p in sorted((FILES / "fhir" / "hl7").glob("*.json"))]
        with self.captureOnCommitCallbacks(execute=True):
            r = self.post("/imports/fhir", "dora", {"files": files})
        self.assertEqual(r.status_code, 202, r.content)
        self.assertEqual(r.json()["kind"], "fhir")
        run = ImportRun.objects.get(code=r.json()["id"])
        self.assertEqual(run.kind, "fhir")
        got = self.client.get(f"/api/v1/imports/{run.code}", HTTP_AUTHORIZATION=f"Bearer {self.secrets['dora']}")
        self.assertEqual(got.json()["status"], "imported", got.content)
        self.assertTrue(Client.objects.filter(external_id="Patient/example").exists())

    def test_a_calendar_imports_for_the_named_clinician(self):
        with self.captureOnCommitCallbacks(execute=True):
            r = self.post("/imports/calendar", "adam", {"calendar": upload("cal.ics", CAL.encode(), "text/calendar"),
                                                         "clinician": "alice@example.org"})
        self.assertEqual(r.status_code, 202, r.content)
        self.assertEqual(ImportRun.objects.get(code=r.json()["id"]).status, "imported")
        self.assertEqual(Appointment.objects.filter(episode__client=self.ana).count(), 3)

    def test_a_calendar_for_someone_who_is_not_a_clinician_is_refused_in_words(self):
        r = self.post("/imports/calendar", "dora", {"calendar": upload("cal.ics", CAL.encode()),
                                                     "clinician": "nobody@example.org"})
        self.assertEqual(r.status_code, 422)
        body = r.json()
        self.assertEqual(body["field"], "clinician")
        self.assertFalse(ImportRun.objects.exists())

    def test_only_a_director_or_admin_may_import_and_nothing_is_stored_otherwise(self):
        for who, status in (("alice", 403), ("cora", 403), ("revoked", 401)):
            r = self.post("/imports/calendar", who, {"calendar": upload("cal.ics", CAL.encode()),
                                                      "clinician": "alice@example.org"})
            self.assertEqual(r.status_code, status, who)
            r = self.post("/imports/fhir", who, {"files": [upload("a.json", b"{}")]})
            self.assertEqual(r.status_code, status, who)
        self.assertFalse(ImportRun.objects.exists())
