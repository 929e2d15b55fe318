from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from stillhere.audit.models import AuditEvent
from stillhere.clients.models import Appointment, Client
from stillhere.ingest import uploads
from stillhere.ingest.models import ImportRun
from stillhere.test import BaseTestCase

from .helpers import FILES, PrivateDataDir

CSV = FILES / "csv"


def upload(name, path=None, text=None):
    return SimpleUploadedFile(name, path.read_bytes() if path else text.encode(), content_type="text/csv")


@override_settings(INGEST_INLINE=True)
class ImportPagesTestCase(PrivateDataDir, BaseTestCase):
    def post_csv(self, **files):
        data = {"kind": "csv", "csv-preset": ""}
        data.update({f"csv-{k}": v for k, v in files.items()})
        return self.client.post("/import/", data)

    def test_only_a_director_or_admin_may_import(self):
        for member, status in ((self.alice, 403), (self.cora, 403), (self.dora, 200), (self.adam, 200)):
            self.login(member)
            self.assertEqual(self.client.get("/import/").status_code, status, member)
        self.client.logout()
        self.assertEqual(self.client.get("/import/").status_code, 302)

    def test_upload_preview_then_import(self):
        self.login(self.dora)
        r = self.post_csv(appointments=upload("schedule.csv", CSV / "appointments.csv"),
                          clients=upload("people.csv", CSV / "clients.csv"))
        run = ImportRun.objects.get()
        self.assertRedirects(r, f"/import/{run.code}/")
        page = self.client.get(f"/import/{run.code}/")
        self.assertContains(page, "Maya Lind")
        self.assertContains(page, "Mon 13 Apr 2026, 15:00")  # local time, as written in the file
        self.assertContains(page, "Check only")
        self.assertFalse(Client.objects.filter(external_id="c-01").exists())  # preview writes nothing

        r = self.client.post(f"/import/{run.code}/begin/", {"dry_run": "0"}, HTTP_HX_REQUEST="true")
        self.assertContains(r, "Imported.")
        self.assertContains(r, "Sam Okafor")
        self.assertEqual(Appointment.objects.filter(external_id__startswith="a-").count(), 9)
        self.assertEqual(AuditEvent.objects.get(verb="import-completed").actor, self.dora.user)
        self.assertFalse(uploads.folder(run).joinpath("appointments-schedule.csv").exists())
        # a second click starts nothing
        self.client.post(f"/import/{run.code}/begin/", {"dry_run": "0"})
        self.assertEqual(AuditEvent.objects.filter(verb="import-completed").count(), 1)

    def test_a_bad_file_shows_its_problems_and_writes_nothing(self):
        self.login(self.adam)
        text = (CSV / "appointments.csv").read_text().replace("no_show", "went fishing")
        self.post_csv(appointments=upload("schedule.csv", text=text))
        run = ImportRun.objects.get()
        r = self.client.post(f"/import/{run.code}/begin/", {"dry_run": "0"})
        self.assertContains(r, "Nothing was imported")
        self.assertContains(r, "<td>schedule.csv</td><td>4</td><td>status</td><td>(value hidden, 12 characters)</td>", html=False)
        self.assertNotContains(r, "went fishing")
        self.assertFalse(Client.objects.filter(external_id="c-01").exists())
        run.refresh_from_db()
        self.assertEqual(run.status, "rejected")

    def test_a_check_writes_nothing_and_leaves_the_import_to_do(self):
        self.login(self.dora)
        self.post_csv(appointments=upload("a.csv", CSV / "simplepractice.csv"))
        run = ImportRun.objects.get()
        run.options["preset"] = "simplepractice"
        run.save()
        r = self.client.post(f"/import/{run.code}/begin/", {"dry_run": "1"})
        self.assertContains(r, "the files can be imported")
        self.assertFalse(Client.objects.filter(external_id="sp-1").exists())
        r = self.client.post(f"/import/{run.code}/begin/", {"dry_run": "0"})
        self.assertContains(r, "Imported.")
        self.assertTrue(Client.objects.filter(external_id="sp-1").exists())

    def test_another_practices_import_is_a_404(self):
        run = ImportRun.objects.create(practice=self.hillside, kind="csv", options={"files": {}})
        self.login(self.dora)
        self.assertEqual(self.client.get(f"/import/{run.code}/").status_code, 404)
        self.assertEqual(self.client.post(f"/import/{run.code}/begin/").status_code, 404)
        self.assertEqual(self.client.get(f"/import/{run.code}/progress/").status_code, 404)

    def test_a_calendar_upload_names_the_clinician(self):
        self.login(self.dora)
        cal = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:one@x\r\n"
               "DTSTART:20260420T090000Z\r\nDTEND:20260420T095000Z\r\nSUMMARY:Session with Ana Abbott\r\n"
               "END:VEVENT\r\nEND:VCALENDAR\r\n")
        r = self.client.post("/import/", {"kind": "ics", "ics-calendar": upload("cal.ics", text=cal),
                                           "ics-clinician": "alice@example.org", "ics-client_from": "attendee"})
        run = ImportRun.objects.get()
        self.assertRedirects(r, f"/import/{run.code}/")
        self.assertContains(self.client.get(r.url), "Ana Abbott")
        self.assertContains(self.client.post(f"/import/{run.code}/begin/", {"dry_run": "0"}), "Imported.")
        self.assertEqual(Appointment.objects.filter(episode__client=self.ana).count(), 3)

    def test_fhir_files_upload_together(self):
        self.login(self.dora)
        files = [upload(p.name, p) for p in sorted((FILES / "fhir" / "hl7").glob("*.json"))]
        r = self.client.post("/import/", {"kind": "fhir", "fhir-files": files})
        run = ImportRun.objects.get()
        self.assertRedirects(r, f"/import/{run.code}/")
        self.assertContains(self.client.post(f"/import/{run.code}/begin/", {"dry_run": "0"}), "Imported.")
        self.assertTrue(Client.objects.filter(external_id="Patient/example").exists())

    def test_an_upload_nobody_imported_is_removed_after_a_day(self):
        self.login(self.dora)
        self.post_csv(appointments=upload("a.csv", CSV / "simplepractice.csv"))
        run = ImportRun.objects.get()
        stored = uploads.folder(run) / run.options["files"]["appointments"]
        self.assertTrue(stored.exists())
        ImportRun.objects.filter(pk=run.pk).update(created=run.created - timedelta(hours=25))
        self.client.get("/import/")
        self.assertFalse(stored.exists())
