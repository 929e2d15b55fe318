"""The API tokens page and the API docs in Chromium, against a live server
with production settings: make a token, copy it, use it, revoke it."""

import json
import urllib.error
import urllib.request

from django.conf import settings

from stillhere.desk.tests.browser import AXE
from stillhere.lib.browser import ARTIFACTS as ALL_ARTIFACTS, BrowserTestCase, skip_without_chromium
from stillhere.test import PASSWORD, BaseTestCase
from stillhere.security.testing import pass_second_step

skip_without_chromium()
ARTIFACTS = ALL_ARTIFACTS / "api"


class TokensInBrowserTest(BrowserTestCase):
    def setUp(self):
        BaseTestCase.setUpTestData.__func__(type(self))
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.context = self.browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()

    def tearDown(self):
        self.context.close()

    def sign_in(self, username):
        page = self.page
        page.goto(self.live_server_url + "/login/", timeout=120_000)
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.keyboard.press("Enter")
        pass_second_step(page, username)
        page.wait_for_url(self.live_server_url + "/")

    def shots(self, name):
        for width in (1280, 390):
            self.page.set_viewport_size({"width": width, "height": 900})
            self.page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
        self.page.set_viewport_size({"width": 1280, "height": 900})

    def no_serious_accessibility_problems(self):
        for width in (1280, 390):
            self.page.set_viewport_size({"width": width, "height": 900})
            self.page.evaluate(AXE.read_text())  # not a script tag: the CSP refuses inline scripts
            result = self.page.evaluate("axe.run(document, {resultTypes: ['violations']})")
            bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
            self.assertEqual(bad, [], json.dumps([(v["id"], v["help"]) for v in bad]))
        self.page.set_viewport_size({"width": 1280, "height": 900})

    def api(self, secret):
        req = urllib.request.Request(self.live_server_url + "/api/v1/clients",
                                     headers={"Authorization": f"Bearer {secret}"})
        try:
            with urllib.request.urlopen(req) as r:
                return r.status, json.load(r)
        except urllib.error.HTTPError as e:
            return e.code, json.load(e)

    def test_a_clinician_makes_uses_and_revokes_a_token(self):
        self.assertFalse(settings.DEBUG)
        page = self.page
        self.sign_in("alice")
        page.get_by_role("link", name="API tokens").click()
        page.get_by_role("heading", name="API tokens", exact=True).wait_for()
        self.assertIn("You have no tokens yet.", page.inner_text("main"))
        page.get_by_label("What is it for?").fill("Weekly sync script")
        page.get_by_label("Stops working").select_option(label="In 90 days")
        page.get_by_role("button", name="Make the token").click()
        page.get_by_role("heading", name="Your new token").wait_for()
        secret = page.get_by_label("Token", exact=True).input_value()
        self.assertTrue(secret.startswith("sh_"))
        self.no_serious_accessibility_problems()
        self.shots("tokens-new")

        status, body = self.api(secret)
        self.assertEqual((status, [c["first_name"] for c in body["items"]]), (200, ["Ana"]))

        page.reload()
        self.assertNotIn(secret, page.content())
        self.assertIn("Weekly sync script", page.inner_text("main"))
        page.get_by_role("button", name="Revoke “Weekly sync script”").click()
        page.get_by_text("stopped working just now").wait_for()
        self.shots("tokens-revoked")
        status, body = self.api(secret)
        self.assertEqual((status, body["code"]), (401, "token_revoked"))

    def test_an_admin_sees_the_service_tokens_and_staff_read_the_docs(self):
        page = self.page
        self.sign_in("adam")
        page.goto(self.live_server_url + "/settings/api-tokens/")
        page.get_by_label("What is it for?").nth(1).fill("Practice EHR")
        page.get_by_label("Acts with the role of").select_option("director")
        page.get_by_role("button", name="Make the service token").click()
        page.get_by_role("heading", name="Your new token").wait_for()
        self.assertIn("Clinical director", page.inner_text("main"))
        self.no_serious_accessibility_problems()
        self.shots("tokens-service")

        page.goto(self.live_server_url + "/api/v1/docs")
        page.get_by_role("heading", name="stillhere API reference").wait_for()
        page.locator(".opblock-summary-path", has_text="/api/v1/needs-attention").first.wait_for(timeout=60_000)
        self.assertIn("Authorize", page.inner_text("body"))
        self.shots("docs")
