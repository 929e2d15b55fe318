"""One client's record: `stillhere client export` / `erase` and the web page
for directors and admins (stillhere/clients/export.py, erase.py)."""

import io
import json
import stat
import zipfile
from datetime import date
from pathlib import Path
from unittest import mock

from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.test import override_settings

from stillhere.audit.chain import verify
from stillhere.audit.events import ClientViewed, ClientListViewed, record
from stillhere.audit.models import AuditEvent
from stillhere.clients.models import Appointment, Client, Episode
from stillhere.ingest.models import ImportRun
from stillhere.measures.record import record_result
from stillhere.outreach.models import Letter, OutboxMessage, OutreachStep, Reply
from stillhere.ingest.tests.helpers import PrivateDataDir
from stillhere.outreach.tests.helpers import OutreachTestCase, post_a_letter


class RecordTestCase(PrivateDataDir, OutreachTestCase):
    def setUp(self):
        super().setUp()
        self.letter_step = post_a_letter(self)
        Reply.objects.create(practice=self.riverside, client=self.ana, source="email", text="I am still here",
                             received=self.letter_step.due)
        record_result(self.ana, "SRS", total=31, taken_on=date(2026, 1, 5), actor=self.alice.user)
        record(ClientViewed(practice=self.riverside, actor=self.alice.user, client=self.ana))
        record(ClientListViewed(practice=self.riverside, actor=self.dora.user, count=2, clients=[self.ana, self.ben]))

    def export(self, *args):
        out = io.StringIO()
        call_command("client", "export", str(self.ana.code), "--out", self._data_dir, *args, stdout=out)
        return out.getvalue()

    def open_zip(self):
        [path] = Path(self._data_dir).glob("client-record-*.zip")
        return path, zipfile.ZipFile(path)


class ExportTestCase(RecordTestCase):
    def test_the_archive_holds_the_whole_record_readable_by_its_owner_only(self):
        said = self.export()
        self.assertIn("1 letter(s)", said)
        path, z = self.open_zip()
        self.assertEqual(stat.S_IMODE(path.stat().st_mode), 0o600)
        self.assertNotIn("Abbott", path.name)
        names = set(z.namelist())
        self.assertTrue({"client.json", "client.pdf", "README.txt"} <= names)
        rec = json.loads(z.read("client.json"))
        self.assertEqual((rec["client"]["first_name"], rec["client"]["last_name"]), ("Ana", "Abbott"))
        self.assertEqual(rec["client"]["email"], "r-001@example.org")
        [ep] = rec["episodes"]
        self.assertEqual(ep["clinician"], self.alice.name)
        self.assertIn("Missed a session", [c.get("new_state_words") for c in ep["state_changes"]])
        self.assertEqual([a["status_words"] for a in ep["appointments"]], ["Attended", "No-show"])
        self.assertEqual([m["total"] for m in rec["measures"]], [31])
        steps = [s for seq in rec["outreach"] for s in seq["steps"]]
        self.assertIn("letter", [s["key"] for s in steps])
        letter = next(s for s in steps if s.get("letter"))
        self.assertTrue(z.read(letter["letter"]["file"]).startswith(b"%PDF"))
        self.assertEqual([r["text"] for r in rec["replies"]], ["I am still here"])
        verbs = [e["what"] for e in rec["audit_events"]]
        self.assertIn("client-viewed", verbs)
        self.assertIn("client-list-viewed", verbs)   # a list page that showed her
        import pypdf

        pdf = pypdf.PdfReader(io.BytesIO(z.read("client.pdf")))
        text = "\n".join(p.extract_text() for p in pdf.pages)
        for words in ("Client record: Ana Abbott", "Episodes of care (1)", f"with {self.alice.name}",
                      "No-show", "Questionnaires (1)", "SRS 31", "I am still here", "Who looked at"):
            self.assertIn(words, text)
        self.assertNotIn("Baker", z.read("client.json").decode())

    def test_the_export_is_audited(self):
        self.export()
        e = AuditEvent.objects.filter(verb="client-exported").get()
        self.assertEqual((e.client_id, e.data["where"], e.data["letters"]), (self.ana.pk, "command", 1))

    def test_a_directors_download_from_the_web(self):
        self.login(self.dora)
        page = self.client.get(f"/clients/{self.ana.code}/record/")
        self.assertContains(page, "Download the record")
        r = self.client.post(f"/clients/{self.ana.code}/record/export/")
        self.assertEqual(r["Content-Type"], "application/zip")
        self.assertIn("attachment", r["Content-Disposition"])
        rec = json.loads(zipfile.ZipFile(io.BytesIO(r.content)).read("client.json"))
        self.assertEqual(rec["client"]["last_name"], "Abbott")
        self.assertEqual(AuditEvent.objects.filter(verb="client-exported", client_id=self.ana.pk,
                                                   data__where="web").count(), 1)

    def test_a_clinician_cannot_export_or_erase_even_their_own_client(self):
        self.login(self.alice)
        self.assertEqual(self.client.get(f"/clients/{self.ana.code}/record/").status_code, 404)
        self.assertEqual(self.client.post(f"/clients/{self.ana.code}/record/export/").status_code, 404)
        self.assertEqual(self.client.post(f"/clients/{self.ana.code}/record/erase/",
                                          {"confirm": "r-001"}).status_code, 404)
        self.assertTrue(Client.objects.filter(pk=self.ana.pk).exists())


class EraseTestCase(RecordTestCase):
    def setUp(self):
        super().setUp()
        ct = ContentType.objects.get_for_model(Client)
        LogEntry.objects.create(user=self.adam.user, content_type=ct, object_id=str(self.ana.pk),
                                object_repr="Ana Abbott", action_flag=ADDITION)
        ep_ct = ContentType.objects.get_for_model(Episode)
        LogEntry.objects.create(user=self.adam.user, content_type=ep_ct, object_id=str(self.episode.pk),
                                object_repr="Episode", action_flag=ADDITION)
        LogEntry.objects.create(user=self.adam.user, content_type=ct, object_id=str(self.ben.pk),
                                object_repr="Ben Baker", action_flag=ADDITION)
        OutboxMessage.objects.create(channel="email", to="r-001@example.org", subject="hello", body="Dear Ana")
        OutboxMessage.objects.create(channel="email", to="r-002@example.org", subject="hello", body="Dear Ben")
        self.run_ = ImportRun.objects.create(practice=self.riverside, kind="csv", status="rejected", report={
            "problems": [{"file": "clients.csv", "row": 2, "reason": "r-001 has a bad email"},
                         {"file": "clients.csv", "row": 3, "reason": "r-002 has a bad phone"}]})
        self.pending = ImportRun.objects.create(practice=self.riverside, kind="csv", status="uploaded")
        self.upload = Path(self._data_dir) / "imports" / str(self.pending.code)
        self.upload.mkdir(parents=True)
        (self.upload / "clients-x.csv").write_text("id,first,last\nr-001,Ana,Abbott\n")
        self.ana_id = self.ana.pk

    def erase(self):
        out = io.StringIO()
        call_command("client", "erase", "r-001", "--practice", "riverside", "--yes", stdout=out)
        return out.getvalue()

    def test_everything_about_the_client_is_gone_and_others_are_untouched(self):
        said = self.erase()
        self.assertIn("Erased the client", said)
        self.assertFalse(Client.objects.filter(pk=self.ana_id).exists())
        self.assertFalse(Episode.objects.filter(client_id=self.ana_id).exists())
        self.assertFalse(Appointment.objects.filter(episode__client_id=self.ana_id).exists())
        self.assertFalse(OutreachStep.objects.filter(client_id=self.ana_id).exists())
        self.assertFalse(Letter.objects.exists())
        self.assertFalse(Reply.objects.filter(client_id=self.ana_id).exists())
        self.assertEqual(list(LogEntry.objects.values_list("object_repr", flat=True)), ["Ben Baker"])
        # The recipient is stored encrypted: compared after reading, as the erasure itself must.
        self.assertEqual([m.to for m in OutboxMessage.objects.all()], ["r-002@example.org"])
        self.run_.refresh_from_db()
        reasons = [p["reason"] for p in self.run_.report["problems"]]
        self.assertEqual(reasons, ["r-002 has a bad phone"])
        self.assertFalse(self.upload.exists())
        self.pending.refresh_from_db()
        self.assertEqual(self.pending.status, "failed")
        self.assertTrue(Client.objects.filter(pk=self.ben.pk).exists())
        self.assertEqual(self.ben.episodes.get().appointments.count(), 2)

    def test_the_audit_trail_keeps_its_rows_pseudonymous_and_still_verifies(self):
        before = AuditEvent.objects.filter(client_id=self.ana_id).count()
        refs = set(AuditEvent.objects.filter(client_id=self.ana_id).values_list("client_ref", flat=True))
        self.erase()
        rows = AuditEvent.objects.filter(client_id=self.ana_id)
        self.assertEqual(rows.count(), before + 1)   # the erasure itself is the newest
        self.assertEqual(set(rows.values_list("client_ref", flat=True)), refs)
        erased = rows.get(verb="client-erased")
        self.assertGreaterEqual(erased.data["admin_log_entries"], 2)
        self.assertNotIn("Abbott", json.dumps(list(AuditEvent.objects.values("data", "target_id"))))
        report = verify()
        self.assertTrue(report.ok, report.problems)
        out = io.StringIO()
        call_command("audit", "verify", stdout=out)
        self.assertIn("The audit trail is intact", out.getvalue())

    def test_the_web_asks_for_the_id_or_name_before_erasing(self):
        self.login(self.adam)
        r = self.client.post(f"/clients/{self.ana.code}/record/erase/", {"confirm": "Ben Baker"})
        self.assertEqual(r.status_code, 400)
        self.assertContains(r, "nothing was erased", status_code=400)
        self.assertTrue(Client.objects.filter(pk=self.ana_id).exists())
        r = self.client.post(f"/clients/{self.ana.code}/record/erase/", {"confirm": "  ana   ABBOTT "})
        self.assertRedirects(r, "/clients/", fetch_redirect_response=False)
        self.assertFalse(Client.objects.filter(pk=self.ana_id).exists())
        e = AuditEvent.objects.get(verb="client-erased")
        self.assertEqual((e.actor_id, e.data["where"]), (self.adam.user.pk, "web"))
        self.assertTrue(verify().ok)

    def test_the_command_refuses_without_confirmation(self):
        from django.core.management.base import CommandError

        with self.assertRaises(CommandError), mock.patch("sys.stdin", io.StringIO("")):
            call_command("client", "erase", "r-001", "--practice", "riverside")
        self.assertTrue(Client.objects.filter(pk=self.ana_id).exists())
