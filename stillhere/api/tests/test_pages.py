"""The API tokens settings page, as a member and as an admin."""

from stillhere.api.models import ApiToken
from stillhere.audit.models import AuditEvent

from .helpers import ApiTestCase


class TokenPageTest(ApiTestCase):
    def make(self, who, name="Weekly sync", **extra):
        self.login(who)
        return self.client.post("/settings/api-tokens/", {"kind": "personal", "p-name": name, "p-expires": "30",
                                                          **extra}, follow=True)

    def test_a_new_token_is_shown_once_and_works(self):
        r = self.make(self.bob)
        secret = r.context["new_secret"]
        self.assertContains(r, secret)
        self.assertContains(r, "the only time it is shown")
        # The page that shows the secret is never kept by the browser or a proxy.
        self.assertIn("no-store", r["Cache-Control"])
        again = self.client.get("/settings/api-tokens/")
        self.assertNotContains(again, secret)
        self.assertContains(again, "Weekly sync")
        api = self.client.get("/api/v1/clients", HTTP_AUTHORIZATION=f"Bearer {secret}")
        self.assertEqual([c["first_name"] for c in api.json()["items"]], ["Ben"])
        self.assertEqual(AuditEvent.objects.filter(verb="api-token-created", actor=self.bob.user).count(), 1)

    def test_a_token_without_a_name_is_not_made(self):
        r = self.make(self.bob, name="")
        self.assertContains(r, "This field is required")
        self.assertFalse(ApiToken.objects.filter(membership=self.bob, name="").exists())

    def test_revoking_stops_the_token_at_once(self):
        secret = self.make(self.bob).context["new_secret"]
        token = ApiToken.objects.get(membership=self.bob, name="Weekly sync")
        r = self.client.post(f"/settings/api-tokens/{token.pk}/revoke/", follow=True)
        self.assertContains(r, "stopped working just now")
        api = self.client.get("/api/v1/clients", HTTP_AUTHORIZATION=f"Bearer {secret}")
        self.assertEqual(api.json()["code"], "token_revoked")

    def test_nobody_revokes_anothers_token(self):
        self.make(self.bob)
        token = ApiToken.objects.get(membership=self.bob, name="Weekly sync")
        for other in (self.alice, self.dora, self.charlie):
            self.login(other)
            self.assertEqual(self.client.post(f"/settings/api-tokens/{token.pk}/revoke/").status_code, 404)
        token.refresh_from_db()
        self.assertIsNone(token.revoked)

    def test_a_member_sees_only_their_own_tokens(self):
        self.make(self.bob, name="Bob's thing")
        self.login(self.alice)
        self.assertNotContains(self.client.get("/settings/api-tokens/"), "Bob's thing")

    def test_an_admin_makes_a_service_token_with_a_role(self):
        self.login(self.adam)
        r = self.client.post("/settings/api-tokens/", {"kind": "service", "s-name": "Practice EHR",
                                                      "s-role": "director", "s-expires": ""}, follow=True)
        secret = r.context["new_secret"]
        token = ApiToken.objects.get(kind="service")
        self.assertEqual((token.membership.role, token.membership.practice), ("director", self.riverside))
        self.assertFalse(token.membership.user.has_usable_password())
        names = {c["first_name"] for c in self.client.get("/api/v1/clients", HTTP_AUTHORIZATION=f"Bearer {secret}")
                 .json()["items"]}
        self.assertEqual(names, {"Ana", "Ben"})
        self.assertContains(self.client.get("/settings/api-tokens/"), "Practice EHR")

    def test_only_an_admin_makes_service_tokens(self):
        self.login(self.dora)
        r = self.client.post("/settings/api-tokens/", {"kind": "service", "s-name": "x", "s-role": "admin"})
        self.assertEqual(r.status_code, 404)
        self.assertFalse(ApiToken.objects.filter(kind="service").exists())
        self.assertNotContains(self.client.get("/settings/api-tokens/"), "Service tokens")

    def test_the_page_and_the_docs_need_a_signed_in_member(self):
        for path in ("/settings/api-tokens/", "/api/v1/docs"):
            self.assertEqual(self.client.get(path).status_code, 302)
        self.login(self.cora)
        self.assertEqual(self.client.get("/api/v1/docs").status_code, 200)

    def test_the_schema_is_public_and_names_no_one(self):
        r = self.client.get("/api/v1/openapi.json")
        self.assertEqual(r.status_code, 200)
        self.assertIn("/api/v1/appointments", r.json()["paths"])
