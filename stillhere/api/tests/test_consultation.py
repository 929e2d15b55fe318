"""A consultant's token reads the de-identified summaries and nothing else;
everyone else's reads only what they may."""

from stillhere.audit.models import AuditEvent
from stillhere.reflection.models import ConsultationSummary, Reflection

from .helpers import ApiTestCase

TEXT = "A client in their thirties came weekly for some months, then missed a session and did not return."


class ConsultationApiTestCase(ApiTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        r = Reflection.objects.create(practice=cls.riverside, episode=cls.ana.episodes.get(), author=cls.alice)
        cls.summary = ConsultationSummary.objects.create(practice=cls.riverside, reflection=r, text=TEXT,
                                                         reviewed_by=cls.alice)

    def test_the_consultant_reads_the_summaries_and_each_read_is_audited(self):
        r = self.call("GET", "/consultation", "cora")
        self.assertEqual(r.status_code, 200, r.content)
        self.assertEqual([s["text"] for s in r.json()["items"]], [TEXT])
        self.assertEqual(self.call("GET", f"/consultation/{self.summary.pk}", "cora").json()["text"], TEXT)
        self.assertEqual(AuditEvent.objects.filter(verb="consultation-viewed", actor=self.cora.user).count(), 2)

    def test_the_consultant_sees_no_client_and_no_one_else_sees_the_summary(self):
        self.assertEqual(self.call("GET", "/clients", "cora").json()["items"], [])
        self.assertEqual(self.call("GET", f"/clients/{self.ana.code}", "cora").status_code, 404)
        # The author reads their own; a colleague, another practice and no token do not.
        self.assertEqual(len(self.call("GET", "/consultation", "alice").json()["items"]), 1)
        for who, status in (("bob", 404), ("charlie", 404), ("none", 401), ("revoked", 401)):
            self.assertEqual(self.call("GET", f"/consultation/{self.summary.pk}", who).status_code, status, who)
        self.assertEqual(self.call("GET", "/consultation", "bob").json()["items"], [])
        self.assertEqual(self.call("GET", "/consultation", "charlie").json()["items"], [])

    def test_pages_follow_the_cursor(self):
        r = Reflection.objects.create(practice=self.riverside, episode=self.ben.episodes.get(), author=self.bob)
        newer = ConsultationSummary.objects.create(practice=self.riverside, reflection=r, text="Another.")
        first = self.call("GET", "/consultation?limit=1", "cora").json()
        self.assertEqual([s["id"] for s in first["items"]], [newer.pk])
        second = self.call("GET", f"/consultation?limit=1&cursor={first['next_cursor']}", "cora").json()
        self.assertEqual(([s["id"] for s in second["items"]], second["next_cursor"]), ([self.summary.pk], None))
