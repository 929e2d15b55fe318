"""Tokens, limits, idempotency keys and errors, as a script would meet them."""

from datetime import timedelta
from unittest import mock

import time_machine
from django.test import override_settings
from django.utils import timezone

from stillhere.api.models import ApiToken, IdempotentRequest
from stillhere.audit.models import AuditEvent
from stillhere.clients.models import Client

from .helpers import ApiTestCase


class TokensTest(ApiTestCase):
    def test_it_stores_only_a_digest_of_the_secret(self):
        token, secret = ApiToken.issue(self.alice, "script")
        self.assertNotIn(secret, str(ApiToken.objects.filter(pk=token.pk).values().get()))
        self.assertTrue(secret.startswith(token.prefix))

    def test_a_revoked_token_is_refused_in_words(self):
        r = self.call("GET", "/clients", "revoked")
        self.assertEqual(r.status_code, 401)
        self.assertEqual(r.json()["code"], "token_revoked")
        self.assertIn("revoked", r.json()["message"])

    def test_an_expired_token_is_refused(self):
        token, secret = ApiToken.issue(self.alice, "short", expires=timezone.now() + timedelta(days=1))
        with time_machine.travel(timezone.now() + timedelta(days=2)):
            r = self.client.get("/api/v1/clients", HTTP_AUTHORIZATION=f"Bearer {secret}")
        self.assertEqual(r.status_code, 401)
        self.assertEqual(r.json()["code"], "token_expired")

    def test_a_made_up_token_is_refused(self):
        r = self.client.get("/api/v1/clients", HTTP_AUTHORIZATION="Bearer sh_not-a-real-one")
        self.assertEqual(r.status_code, 401)
        self.assertEqual(r.json()["field"], "Authorization")
        self.assertEqual(r["WWW-Authenticate"], "Bearer")

    def test_it_records_when_a_token_was_last_used(self):
        self.call("GET", "/clients", "alice")
        self.assertIsNotNone(ApiToken.objects.get(membership=self.alice, name="alice's script").last_used)

    @override_settings(API_RATE_LIMIT=3)
    def test_it_limits_requests_per_token_per_minute(self):
        with time_machine.travel("2026-03-02 10:00:05Z", tick=False):
            codes = [self.call("GET", "/clients", "alice").status_code for _ in range(4)]
            other = self.call("GET", "/clients", "bob").status_code
        self.assertEqual(codes, [200, 200, 200, 429])
        self.assertEqual(other, 200)  # the limit is per token
        with time_machine.travel("2026-03-02 10:01:01Z", tick=False):
            self.assertEqual(self.call("GET", "/clients", "alice").status_code, 200)

    @override_settings(API_RATE_LIMIT=1)
    def test_a_limited_request_says_when_to_try_again(self):
        with time_machine.travel("2026-03-02 10:00:45Z", tick=False):
            self.call("GET", "/clients", "alice")
            r = self.call("GET", "/clients", "alice")
        self.assertEqual(r.status_code, 429)
        self.assertEqual(r["Retry-After"], "15")
        self.assertIn("15 seconds", r.json()["message"])


class ReadsAreAuditedTest(ApiTestCase):
    def test_reading_a_client_leaves_the_same_event_as_the_web(self):
        self.call("GET", f"/clients/{self.ana.code}", "alice")
        e = AuditEvent.objects.get(verb="client-viewed")
        self.assertEqual((e.actor, e.client), (self.alice.user, self.ana))

    def test_a_change_records_which_fields_and_never_their_values(self):
        self.call("PATCH", f"/clients/{self.ana.code}", "alice", {"phone": "+15555550199", "pronouns": "she/her"})
        e = AuditEvent.objects.get(verb="client-updated")
        self.assertEqual(e.data, {"fields": ["phone", "pronouns"]})
        self.assertNotIn("5555550199", str(e.data))


class IdempotencyTest(ApiTestCase):
    body = {"external_id": "r-900", "first_name": "Noor", "last_name": "Haddad"}

    def test_the_same_key_twice_creates_one_client_and_answers_the_same(self):
        one = self.call("POST", "/clients", "alice", self.body, HTTP_IDEMPOTENCY_KEY="k-1")
        two = self.call("POST", "/clients", "alice", self.body, HTTP_IDEMPOTENCY_KEY="k-1")
        self.assertEqual((one.status_code, two.status_code), (201, 201))
        self.assertEqual(one.json(), two.json())
        self.assertEqual(Client.objects.filter(external_id="r-900").count(), 1)

    def test_a_key_used_for_another_request_is_refused(self):
        self.call("POST", "/clients", "alice", self.body, HTTP_IDEMPOTENCY_KEY="k-2")
        r = self.call("POST", "/clients", "alice", {**self.body, "first_name": "Other"}, HTTP_IDEMPOTENCY_KEY="k-2")
        self.assertEqual(r.status_code, 422)
        self.assertEqual((r.json()["code"], r.json()["field"]), ("idempotency_key_reused", "Idempotency-Key"))

    def test_a_request_that_failed_stores_nothing_so_it_can_be_fixed_and_sent_again(self):
        bad = self.call("POST", "/clients", "alice", {**self.body, "clinician": self.bob.pk},
                        HTTP_IDEMPOTENCY_KEY="k-3")
        self.assertEqual(bad.status_code, 403)
        self.assertFalse(IdempotentRequest.objects.filter(key="k-3").exists())
        self.assertEqual(self.call("POST", "/clients", "alice", self.body, HTTP_IDEMPOTENCY_KEY="k-3").status_code, 201)

    def test_keys_belong_to_their_token(self):
        self.call("POST", "/clients", "alice", self.body, HTTP_IDEMPOTENCY_KEY="k-4")
        r = self.call("POST", "/clients", "dora", {**self.body, "external_id": "r-901", "clinician": self.bob.pk},
                      HTTP_IDEMPOTENCY_KEY="k-4")
        self.assertEqual(r.status_code, 201)


class ErrorsTest(ApiTestCase):
    def test_a_bad_field_is_named_and_explained_without_echoing_the_value(self):
        r = self.call("POST", "/appointments", "alice", {"episode": self.ana.episodes.get().pk, "start": "Ana Abbott"})
        self.assertEqual(r.status_code, 422)
        body = r.json()
        self.assertEqual((body["code"], body["field"]), ("invalid", "start"))
        self.assertIn("“start”", body["message"])
        self.assertNotIn("Ana", r.content.decode())

    def test_a_missing_field_says_it_is_required(self):
        r = self.call("POST", "/measures", "alice", {"client": str(self.ana.code)})
        self.assertEqual(r.json()["field"], "instrument")
        self.assertEqual(r.json()["message"], "“instrument” is required.")

    def test_a_bad_questionnaire_answer_is_refused_with_the_scorers_reason(self):
        r = self.call("POST", "/measures", "alice", {"client": str(self.ana.code), "instrument": "PHQ-9",
                                                     "items": [1, 2]})
        self.assertEqual(r.status_code, 422)
        self.assertEqual(r.json()["field"], "items")
        self.assertIn("PHQ-9", r.json()["message"])

    def test_a_defect_answers_in_words_without_a_stack_trace_or_client_data(self):
        with mock.patch("stillhere.api.clients.out.clients", side_effect=RuntimeError("Ana Abbott broke it")):
            with self.assertLogs("stillhere.api.errors", "ERROR") as logs:
                r = self.call("GET", f"/clients/{self.ana.code}", "alice")
        self.assertEqual(r.status_code, 500)
        self.assertEqual(r.json()["code"], "internal_error")
        self.assertNotIn("Ana", r.content.decode())
        self.assertNotIn("Traceback", r.content.decode())
        self.assertNotIn("Ana", "\n".join(logs.output))

    def test_an_unknown_address_answers_in_json(self):
        r = self.call("GET", "/no-such-thing", "alice")
        self.assertEqual((r.status_code, r.json()["code"]), (404, "not_found"))

    def test_ending_an_episode_twice_is_refused_in_words(self):
        ep = self.ana.episodes.get()
        self.assertEqual(self.call("POST", f"/episodes/{ep.pk}/end", "alice", {"reason": "planned"}).status_code, 200)
        r = self.call("POST", f"/episodes/{ep.pk}/end", "alice", {"reason": "planned"})
        self.assertEqual((r.status_code, r.json()["message"]), (409, "This episode has already ended."))

    def test_an_ending_before_a_session_they_came_to_is_refused_as_on_the_client_page(self):
        from stillhere.clients.models import Appointment

        ep = self.ana.episodes.get()
        came = Appointment.objects.create(practice=self.riverside, episode=ep, start=timezone.now() - timedelta(days=2),
                                          status=Appointment.Status.ATTENDED)
        before = (came.start - timedelta(days=3)).date().isoformat()
        r = self.call("POST", f"/episodes/{ep.pk}/end", "alice", {"reason": "planned", "ended_on": before})
        self.assertEqual((r.status_code, r.json()["field"]), (422, "ended_on"))
        self.assertIn("came to a session", r.json()["message"])
        ep.refresh_from_db()
        self.assertIsNone(ep.ended)


class DuplicateTest(ApiTestCase):
    """A sync script that posts a record it already sent learns where that record is, so it can update it,
    but only when its member may see it."""

    def test_a_client_already_there_answers_409_with_its_address(self):
        r = self.call("POST", "/clients", "dora", {"external_id": "r-001", "first_name": "Ana",
                                                   "last_name": "Abbott", "clinician": self.alice.pk})
        self.assertEqual(r.status_code, 409)
        self.assertEqual((r.json()["code"], r.json()["field"]), ("exists", "external_id"))
        self.assertEqual(r.json()["existing"], f"/api/v1/clients/{self.ana.code}")
        self.assertEqual(self.call("GET", r.json()["existing"].removeprefix("/api/v1"), "dora").status_code, 200)
        self.assertNotIn("Ana", r.json()["message"])

    def test_an_appointment_already_there_is_pointed_to_only_for_someone_who_sees_it(self):
        ep = self.ana.episodes.get()
        body = {"episode": ep.pk, "start": "2026-03-02T10:00:00+00:00", "external_id": "appt-77"}
        self.assertEqual(self.call("POST", "/appointments", "alice", body).status_code, 201)
        again = self.call("POST", "/appointments", "alice", body)
        self.assertEqual(again.status_code, 409)
        self.assertTrue(again.json()["existing"].startswith("/api/v1/appointments/"))
        # Bob cannot see Ana: he may book for Ben with a taken id, but learns nothing about Ana's appointment.
        ben = {**body, "episode": self.ben.episodes.get().pk}
        theirs = self.call("POST", "/appointments", "bob", ben)
        self.assertEqual(theirs.status_code, 409)
        self.assertNotIn("existing", theirs.json())
