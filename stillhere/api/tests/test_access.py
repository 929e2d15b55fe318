"""Every endpoint as each of the shared cast: owner (Alice, Ana's clinician),
another clinician (Bob), the director (Dora), the admin (Adam), the
consultant (Cora), another practice (Charlie), no token and a revoked one.

Each answer is checked twice: its status, and that nothing it says (the
body, an error message included) names or identifies a client the caller
may not see. Every call runs in a savepoint rolled back afterwards, so one
role's write does not change what the next one finds.
"""

from django.db import transaction
from django.test import override_settings

from stillhere.ingest.models import ImportRun
from stillhere.api.models import ScanRun, WebhookEndpoint
from stillhere.outreach.models import OutreachStep

from .helpers import ApiTestCase, make_step

ROLES = ("alice", "bob", "dora", "adam", "cora", "charlie", "none", "revoked")
# Ana's own data: her clinician and the whole-practice roles see it; for everyone else it does not exist.
SEES_ANA = {"alice": 200, "bob": 404, "dora": 200, "adam": 200, "cora": 404, "charlie": 404, "none": 401,
            "revoked": 401}
# Deciding on Ana's care: her clinician or the director; the admin sees but may not decide.
DECIDES_ANA = dict(SEES_ANA, adam=403)
EVERYONE = {r: 200 for r in ROLES} | {"none": 401, "revoked": 401}
WHOLE_PRACTICE = {"alice": 403, "bob": 403, "dora": 200, "adam": 200, "cora": 403, "charlie": 403, "none": 401,
                  "revoked": 401}
ADMIN_ONLY = {r: 403 for r in ROLES} | {"adam": 200, "none": 401, "revoked": 401}


def created(expect, code=201):
    return {r: (code if s == 200 else s) for r, s in expect.items()}


@override_settings(INGEST_INLINE=True, API_SCAN_INLINE=True, WEBHOOK_ALLOW_HTTP_LOOPBACK=True)
class EveryEndpointAsEveryRole(ApiTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.ana_ep = cls.ana.episodes.get()
        cls.ana_appt = cls.ana_ep.appointments.order_by("start").first()
        cls.approve_step = make_step(cls.ana, OutreachStep.Status.AWAITING_APPROVAL)
        cls.call_step = make_step(cls.ana, OutreachStep.Status.TO_CALL, key="call", channel="call", position=2)
        make_step(cls.ben, OutreachStep.Status.AWAITING_APPROVAL)
        make_step(cls.cleo, OutreachStep.Status.AWAITING_APPROVAL)
        cls.import_run = ImportRun.objects.create(practice=cls.riverside, kind="csv", status="imported", report={})
        cls.scan = ScanRun.objects.create(practice=cls.riverside, status=ScanRun.Status.DONE)
        from stillhere.reflection.models import ConsultationSummary, Reflection

        reflection = Reflection.objects.create(practice=cls.riverside, episode=cls.ana_ep, author=cls.alice)
        cls.summary = ConsultationSummary.objects.create(practice=cls.riverside, reflection=reflection,
                                                         text="A client in their thirties stopped coming.")
        cls.hook = WebhookEndpoint.objects.create(practice=cls.riverside, url="https://hooks.example.org/in",
                                                  secret="s", events=["state.changed"])

    def forbidden_words(self, who) -> list[str]:
        """What `who` must never read: the names, codes and emails of clients outside their view."""
        people = {"ana": self.ana, "ben": self.ben, "cleo": self.cleo}
        sees = {"alice": {"ana"}, "bob": {"ben"}, "dora": {"ana", "ben"}, "adam": {"ana", "ben"},
                "charlie": {"cleo"}}.get(who, set())
        words = []
        for key, c in people.items():
            if key not in sees:
                words += [c.first_name, c.last_name, str(c.code), c.email, c.external_id]
        return words

    def endpoints(self):
        ana, ep, appt = self.ana.code, self.ana_ep.pk, self.ana_appt.pk
        csv = "client_id,clinician_email,start,status\nr-001,alice@example.org,2026-02-02T10:00:00+00:00,attended\n"
        return [
            ("GET", "/clients", None, EVERYONE),
            ("GET", f"/clients/{ana}", None, SEES_ANA),
            ("PATCH", f"/clients/{ana}", {"pronouns": "she/her"}, SEES_ANA),
            ("POST", "/clients", {"external_id": "new-1", "first_name": "Nia", "clinician": self.alice.pk},
             {"alice": 201, "bob": 403, "dora": 201, "adam": 201, "cora": 403, "charlie": 403, "none": 401,
              "revoked": 401}),
            ("GET", f"/episodes/{ep}", None, SEES_ANA),
            ("POST", f"/episodes/{ep}/end", {"reason": "planned"}, DECIDES_ANA),
            ("GET", f"/episodes/{ep}/engagement", None, SEES_ANA),
            ("GET", "/needs-attention", None, EVERYONE),
            ("GET", "/appointments", None, EVERYONE),
            ("GET", "/appointments?updated_since=2000-01-01T00:00:00Z", None, EVERYONE),
            ("POST", "/appointments", {"episode": ep, "start": "2026-03-02T10:00:00+00:00"}, created(SEES_ANA)),
            ("PATCH", f"/appointments/{appt}", {"status": "attended"}, SEES_ANA),
            ("POST", "/measures", {"client": str(ana), "instrument": "SRS", "items": [9, 9, 9, 9]},
             created(SEES_ANA)),
            ("GET", f"/clients/{ana}/measures", None, SEES_ANA),
            ("GET", "/outreach/steps", None, EVERYONE),
            ("GET", "/outreach/steps?status=to_call", None, EVERYONE),
            ("GET", f"/outreach/steps/{self.approve_step.code}", None, SEES_ANA),
            ("POST", f"/outreach/steps/{self.approve_step.code}/approve", {}, DECIDES_ANA),
            ("POST", f"/outreach/steps/{self.approve_step.code}/skip", {"reason": "spoke at reception"}, DECIDES_ANA),
            ("POST", f"/outreach/steps/{self.call_step.code}/call", {"outcome": "voicemail"}, DECIDES_ANA),
            ("GET", f"/clients/{ana}/outreach", None, SEES_ANA),
            ("POST", "/imports", ("multipart", {"appointments": csv}), created(WHOLE_PRACTICE, 202)),
            ("POST", "/imports/fhir", ("multipart", {"files": '{"resourceType": "Bundle", "type": "collection"}'}),
             created(WHOLE_PRACTICE, 202)),
            ("POST", "/imports/calendar", ("multipart", {"calendar": "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"},
                                           {"clinician": "alice@example.org"}), created(WHOLE_PRACTICE, 202)),
            ("GET", f"/imports/{self.import_run.code}", None, WHOLE_PRACTICE),
            ("POST", "/scans", None, created(WHOLE_PRACTICE, 202)),
            ("GET", f"/scans/{self.scan.code}", None, WHOLE_PRACTICE),
            ("GET", "/webhooks", None, ADMIN_ONLY),
            ("POST", "/webhooks", {"url": "https://hooks.example.org/b", "events": ["reply.received"]},
             created(ADMIN_ONLY)),
            ("POST", f"/webhooks/{self.hook.code}/disable", None, ADMIN_ONLY),
            ("GET", f"/webhooks/{self.hook.code}/deliveries", None, ADMIN_ONLY),
            ("GET", "/consultation", None, EVERYONE),
            # Alice wrote it; the consultant reads every shared one; nobody else sees it exists.
            ("GET", f"/consultation/{self.summary.pk}", None,
             {r: 404 for r in ROLES} | {"alice": 200, "cora": 200, "none": 401, "revoked": 401}),
        ]

    def send(self, method, path, body, who):
        if isinstance(body, tuple):  # a multipart upload
            from django.core.files.uploadedfile import SimpleUploadedFile

            files = {k: SimpleUploadedFile(f"{k}.csv", v.encode(), "text/csv") for k, v in body[1].items()}
            fields = body[2] if len(body) > 2 else {}
            headers = {"HTTP_AUTHORIZATION": f"Bearer {self.secrets[who]}"} if self.secrets[who] else {}
            return self.client.post(f"/api/v1{path}", {**files, **fields}, **headers)
        return self.call(method, path, who, body)

    def test_every_endpoint_answers_each_role_as_the_web_would_and_leaks_nothing(self):
        checked = 0
        for method, path, body, expect in self.endpoints():
            for who in ROLES:
                with self.subTest(f"{method} {path} as {who}"):
                    with transaction.atomic():
                        with self.captureOnCommitCallbacks(execute=True):
                            r = self.send(method, path, body, who)
                        transaction.set_rollback(True)
                    self.assertEqual(r.status_code, expect[who], r.content[:300])
                    self.assertTrue(r["Content-Type"].startswith("application/json"))
                    text = r.content.decode()
                    for word in self.forbidden_words(who):
                        self.assertNotIn(word, text)
                    if r.status_code >= 400:
                        self.assertEqual(set(r.json()), {"code", "message", "field", "errors"})
                    checked += 1
        self.assertEqual(checked, len(self.endpoints()) * len(ROLES))

    def test_every_operation_in_the_schema_is_in_the_matrix(self):
        from stillhere.api.api import api

        ops = {(m.upper(), p.removeprefix("/api/v1")) for p, item in api.get_openapi_schema()["paths"].items()
               for m in item}
        ana, ep = str(self.ana.code), str(self.ana_ep.pk)
        tested = set()
        for method, path, _, _ in self.endpoints():
            path = path.split("?")[0].replace(ana, "{code}").replace(str(self.approve_step.code), "{code}")
            path = path.replace(str(self.call_step.code), "{code}").replace(str(self.import_run.code), "{code}")
            path = path.replace(str(self.scan.code), "{code}").replace(str(self.hook.code), "{code}")
            path = path.replace(f"/episodes/{ep}", "/episodes/{episode_id}")
            path = path.replace(f"/consultation/{self.summary.pk}", "/consultation/{summary_id}")
            path = path.replace(f"/appointments/{self.ana_appt.pk}", "/appointments/{appointment_id}")
            tested.add((method, path))
        self.assertEqual(ops - tested, set())
