"""Every page, partial, export and API read that shows client data writes an
audit event naming which clients it showed.

The test walks every URL pattern of the project (the web, the API, the
Django admin), so a new view cannot slip past: each pattern is either in
SHOWS_CLIENT_DATA, fetched here as someone who may see the client, and must
leave an audit event naming that client (as the event's client, or among the
ids in data["clients"] of a list page); or in NO_CLIENT_DATA with the reason.
The GET pages of NO_CLIENT_DATA are fetched too and must not show the
client's name or email.
"""

from datetime import date
from pathlib import Path

from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import URLResolver, get_resolver

from stillhere.api.models import ApiToken
from stillhere.audit.models import AuditEvent
from stillhere.clients.models import Client, Episode
from stillhere.ingest.models import ImportRun
from stillhere.measures.record import record_result
from stillhere.outreach import responses, shortlinks
from stillhere.outreach.models import OutreachStep, PrintBatch
from stillhere.ingest.tests.helpers import PrivateDataDir
from stillhere.outreach.tests.helpers import OutreachTestCase, post_a_letter
from stillhere.test import make_client

# name: (who, method, url template, POST data). {ana}, {step}, {letter_step}, {episode}, {appt}, {batch},
# {run}, {token}, {short}, {ava_episode}, {marker}, ... are filled in below.
SHOWS_CLIENT_DATA = {
    "engagement:inbox": ("alice", "get", "/", None),
    "clients:list": ("alice", "get", "/clients/", None),
    "clients:search": ("alice", "post", "/clients/find/", {"q": "Abbott"}),
    "clients:today": ("alice", "get", "/today/", None),
    "clients:detail": ("alice", "get", "/clients/{ana}/", None),
    "clients:record": ("dora", "get", "/clients/{ana}/record/", None),
    "clients:record_export": ("dora", "post", "/clients/{ana}/record/export/", {}),
    "clients:edit": ("alice", "get", "/clients/{ana}/edit/", None),
    "clients:book": ("alice", "get", "/clients/{ana}/book/", None),
    "clients:session": ("alice", "get", "/clients/{ana}/sessions/{appt}/", None),
    "clients:break": ("alice", "get", "/clients/{ana}/break/", None),
    "clients:end_episode": ("alice", "get", "/clients/{ana}/episodes/{episode}/ending/", None),
    "measures:panel": ("alice", "get", "/measures/clients/{ana}/", None),
    "measures:fields": ("alice", "get", "/measures/clients/{ana}/fields/?instrument=SRS", None),
    "measures:entry": ("alice", "post", "/measures/clients/{ana}/record/", {"instrument": "SRS", "total": "30"}),
    "measures:checkins": ("alice", "get", "/measures/checkins/", None),
    "outreach:queue": ("alice", "get", "/outreach/", None),
    "outreach:step": ("alice", "get", "/outreach/steps/{step}/", None),
    "outreach:outbox": ("alice", "get", "/outreach/outbox/", None),
    "outreach:batch_pdf": ("alice", "get", "/outreach/letters/{batch}.pdf", None),
    "outreach:respond": (None, "get", "/r/{token}/", None),
    "outreach:short": (None, "get", "/l/{short}/", None),
    "desk:compose": ("alice", "get", "/compose/{step}/", None),
    "desk:compose_check": ("alice", "post", "/compose/{letter_step}/check/", {"body": "Hello", "subject": ""}),
    "desk:compose_template": ("alice", "post", "/compose/{step}/template/", {}),
    "desk:compose_preview": ("alice", "post", "/compose/{letter_step}/preview.pdf", {"body": "Hello"}),
    "reflection:index": ("alice", "get", "/reflection/", None),
    "reflection:review": ("alice", "get", "/reflection/endings/{ava_episode}/", None),
    "ingest:run": ("dora", "get", "/import/{run}/", None),
    "practice:plan_client": ("dora", "get", "/settings/outreach/plan/client/{ana}/", None),
    # The API: reads.
    "api:list_clients": ("alice", "api", "/api/v1/clients", None),
    "api:get_client": ("alice", "api", "/api/v1/clients/{ana}", None),
    "api:get_episode": ("alice", "api", "/api/v1/episodes/{episode}", None),
    "api:engagement": ("alice", "api", "/api/v1/episodes/{episode}/engagement", None),
    "api:attention": ("alice", "api", "/api/v1/needs-attention", None),
    "api:list_appointments": ("alice", "api", "/api/v1/appointments", None),
    "api:list_measures": ("alice", "api", "/api/v1/clients/{ana}/measures", None),
    "api:list_steps": ("alice", "api", "/api/v1/outreach/steps?status=awaiting_approval", None),
    "api:get_step": ("alice", "api", "/api/v1/outreach/steps/{step}", None),
    "api:client_outreach": ("alice", "api", "/api/v1/clients/{ana}/outreach", None),
}

# The same URL as another name (ninja: one path, several methods), or no client data, with why.
NO_CLIENT_DATA = {
    **{n: "signing in, the second step and passwords" for n in (
        "login", "password_reset", "password_reset_done", "password_reset_confirm", "two_step_verify",
        "two_step_setup", "two_step_recovery", "two_step_renew", "two_step_off", "logout")},
    "healthz": "a health check", "glossary": "the words page", "api_docs": "the API's documentation",
    "api:openapi-json": "the API's schema", "api:openapi-view": "the API's documentation",
    "api:api-root": "the API's root", "?": "the API's 404 for unknown paths",
    "api_tokens": "API tokens (names of scripts)", "api_token_revoke": "API tokens",
    "ingest:start": "the upload form and recent runs (counts, no names)",
    "ingest:begin": "starts an import (POST); its report masks values",
    "ingest:progress": "an import's progress and report (values masked)",
    "clients:new": "an empty form", "clients:record_erase": "erasure (POST; audited as client-erased)",
    "engagement:override": "a change (POST only; audited as state-overridden)",
    "measures:checkin_interval": "a change (POST; audited as checkin-interval-set)",
    "measures:checkin_held": "a change (POST; audited as checkin-held)",
    "outreach:tone_check": "findings about the words typed, no client",
    "outreach:letters": "print batches: dates and counts",
    "outreach:template": "the practice's templates",
    "outreach:inbound_email": "a webhook in (audited as reply-received)",
    "outreach:inbound_sms": "a webhook in (audited as reply-received)",
    "outreach:delivery_status": "a delivery receipt in",
    **{f"desk:{n}": "an action (POST), audited by its own event" for n in (
        "approve", "log_call", "retry", "letters_posted", "review", "mark_raised", "checkin_held", "log_reply")},
    "reflection:summary": "makes a de-identified summary (POST; audited as consultation-shared)",
    "reflection:consultation": "de-identified summaries only",
    "reflection:consultation_detail": "a de-identified summary (audited as consultation-viewed)",
    **{f"analytics:{n}": "practice aggregates, no client named" for n in ("practice", "export", "pdf", "model_card")},
    **{f"practice:{n}": "practice settings" for n in (
        "first_run", "index", "settings", "engagement", "outreach", "plan", "plan_clinician", "measures",
        "templates", "people", "member")},
    # API writes (each audited by its own event) and reads without client data.
    **{f"api:{n}": "a write, audited by its own event" for n in (
        "add_client", "update_client", "end", "add_appointment", "update_appointment", "add_measure", "approve",
        "skip", "log_call", "start_import", "start_fhir_import", "start_calendar_import", "start_scan",
        "add_webhook", "disable_webhook")},
    "api:get_import": "an import's progress and report (values masked)",
    "api:get_scan": "a scan's progress", "api:list_webhooks": "webhook addresses",
    "api:deliveries": "webhook deliveries: event names, client codes and links only",
    "api:list_summaries": "de-identified summaries", "api:get_summary": "a de-identified summary",
}

# Django admin: models holding client data must audit their list and record pages.
ADMIN_CLIENT_MODELS = {"clients.client", "clients.episode", "clients.appointment", "clients.sessionmarker",
                       "outreach.shortlink", "outreach.cadencepolicy"}


def walk(patterns, prefix="", ns=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from walk(p.url_patterns, prefix + str(p.pattern), ns + (f"{p.namespace}:" if p.namespace else ""))
        else:
            yield prefix + str(p.pattern), ns + (p.name or "?")


class AuditCoverageTestCase(PrivateDataDir, OutreachTestCase):
    def setUp(self):
        super().setUp()
        self.letter_step = post_a_letter(self)
        self.step_ = OutreachStep.objects.filter(client=self.ana).exclude(pk=self.letter_step.pk).latest("id")
        OutreachStep.objects.filter(pk__in=[self.step_.pk, self.letter_step.pk]).update(status="awaiting_approval")
        self.letter_step.refresh_from_db()
        self.step_.refresh_from_db()
        record_result(self.ana, "SRS", total=31, taken_on=date(2026, 1, 5), actor=self.alice.user)
        self.ava = make_client(self.riverside, self.alice, "r-003", "Ava", "Ames")
        Episode.objects.filter(client=self.ava).update(ended=date(2026, 1, 20), end_reason="no_goodbye",
                                                       state="ended_no_goodbye")
        self.run_ = ImportRun.objects.create(practice=self.riverside, kind="csv", created_by=self.dora.user,
                                             options={"files": {"appointments": "appointments-a.csv"}})
        folder = Path(self._data_dir) / "imports" / str(self.run_.code)
        folder.mkdir(parents=True)
        (folder / "appointments-a.csv").write_text(
            "client_id,clinician,start,status,client_name\n"
            "r-001,alice@example.org,2026-01-05T10:00:00Z,attended,Ana Abbott\n")
        self.secret = ApiToken.issue(self.alice, "script")[1]
        from django.utils import timezone

        from stillhere.clients.models import Appointment
        from stillhere.outreach.models import OutboxMessage

        Appointment.objects.create(practice=self.riverside, episode=self.episode, start=timezone.now())
        OutboxMessage.objects.create(channel="email", to=self.ana.email, subject="Checking in", body="Hello")
        self.values = {
            "ana": self.ana.code, "step": self.step_.code, "letter_step": self.letter_step.code,
            "episode": self.episode.pk, "appt": self.episode.appointments.first().pk,
            "batch": PrintBatch.objects.get().pk, "run": self.run_.code, "ava_episode": self.ava.episodes.get().pk,
            "token": responses.make_token(self.step_), "short": shortlinks.link_for(self.step_).code,
        }

    def names_client(self, since, client) -> bool:
        for e in AuditEvent.objects.filter(pk__gt=since):
            if e.client_id == client.pk or client.pk in (e.data or {}).get("clients", []):
                return True
        return False

    def fetch(self, who, method, url, data):
        self.client.logout()
        if method == "api":
            return self.client.get(url, HTTP_AUTHORIZATION=f"Bearer {self.secret}")
        if who:
            self.login(getattr(self, who))
        return getattr(self.client, method)(url, data) if method == "post" else self.client.get(url)

    def test_every_url_pattern_is_classified(self):
        names = {name for route, name in walk(get_resolver().url_patterns) if not route.startswith("admin/")}
        unknown = names - set(SHOWS_CLIENT_DATA) - set(NO_CLIENT_DATA)
        self.assertFalse(unknown, f"classify these URL patterns in test_audit_coverage.py: {sorted(unknown)}")
        self.assertFalse(set(SHOWS_CLIENT_DATA) - names, "patterns that no longer exist")

    def test_every_page_that_shows_a_client_names_them_in_the_audit_trail(self):
        missing = []
        for name, (who, method, template, data) in SHOWS_CLIENT_DATA.items():
            client = self.ava if name.startswith("reflection:") else self.ana
            since = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            r = self.fetch(who, method, template.format(**self.values), data)
            self.assertLess(r.status_code, 400, (name, r.status_code))
            html = r.get("Content-Type", "").startswith(("text/html", "application/json"))
            body = b"".join(r.streaming_content) if r.streaming else r.content
            if not html or client.last_name.encode() in body:
                if not self.names_client(since, client):
                    missing.append(name)
            elif not AuditEvent.objects.filter(pk__gt=since).exists():
                # The page showed nobody this time (nothing due today, say), but
                # it must still record that it was looked at, and whom it showed.
                missing.append(name)
        self.assertEqual(missing, [], "these pages show a client but write no audit event naming them")

    def test_pages_without_client_data_show_none(self):
        self.login(self.dora)
        for route, name in walk(get_resolver().url_patterns):
            if name not in NO_CLIENT_DATA or "<" in route or "(" in route or route.startswith("api/"):
                continue
            if name in ("logout", "two_step_off", "two_step_renew", "practice:first_run"):
                continue
            r = self.client.get("/" + route)
            body = r.content.decode(errors="replace")
            self.assertNotIn("Abbott", body, name)
            self.assertNotIn("r-001@example.org", body, name)

    def test_the_admin_pages_of_client_data_are_audited(self):
        from django.contrib import admin

        user = self.adam.user
        user.is_staff = user.is_superuser = True
        user.save()
        LogEntry.objects.create(user=user, content_type=ContentType.objects.get_for_model(Client),
                                object_id=str(self.ana.pk), object_repr="Ana Abbott", action_flag=ADDITION)
        self.login(self.adam)
        objects = {"clients.client": self.ana, "clients.episode": self.episode,
                   "clients.appointment": self.episode.appointments.first(),
                   "clients.sessionmarker": None, "outreach.shortlink": self.step_.short_link,
                   "outreach.cadencepolicy": None}
        registered = {m._meta.label_lower for m in admin.site._registry}
        self.assertTrue(ADMIN_CLIENT_MODELS <= registered)
        for model in admin.site._registry:
            label = model._meta.label_lower
            base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
            since = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            r = self.client.get(base)
            self.assertLess(r.status_code, 400, label)
            if label not in ADMIN_CLIENT_MODELS:
                self.assertNotIn("Abbott", r.content.decode(errors="replace"), label)
                continue
            obj = objects[label]
            if obj is None:
                continue
            self.assertTrue(self.names_client(since, self.ana), f"{label} list")
            for page in ("change/", "history/"):
                since = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
                r = self.client.get(f"{base}{obj.pk}/{page}")
                self.assertEqual(r.status_code, 200, (label, page))
                self.assertTrue(self.names_client(since, self.ana), (label, page))

    def test_list_pages_name_each_client_they_showed(self):
        self.login(self.dora)
        since = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        self.client.get("/clients/")
        e = AuditEvent.objects.filter(pk__gt=since, verb="client-list-viewed").get()
        self.assertEqual(e.data["clients"], sorted([self.ana.pk, self.ben.pk, self.ava.pk][:2]) if False else
                         sorted(c.pk for c in Client.objects.filter(practice=self.riverside,
                                                                    episodes__ended__isnull=True).distinct()))
        self.assertEqual(e.data["count"], 2)
