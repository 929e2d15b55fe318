"""The API reference (/api/v1/docs, Swagger UI) renders under our
Content-Security-Policy in real Chromium: its scripts and styles come from
our own static files, and the browser reports no violation."""

from stillhere.lib.browser import ARTIFACTS, CSP_VIOLATIONS, BrowserTestCase, skip_without_chromium
from stillhere.security.testing import sign_in
from stillhere.test import make_member

skip_without_chromium()


class ApiDocsCspTestCase(BrowserTestCase):
    def test_the_api_reference_renders_its_operations_with_no_csp_violation(self):
        from stillhere.accounts.models import Practice

        practice = Practice.objects.create(name="Riverside Practice", slug="riverside", timezone="Europe/London")
        make_member(practice, "alice", "clinician")
        page = self.browser.new_page()
        page.set_default_timeout(120_000)   # a shared, busy test machine
        page.set_default_navigation_timeout(120_000)
        page.add_init_script(CSP_VIOLATIONS)
        console = []
        page.on("console", lambda m: console.append(m.text) if m.type in ("error", "warning") else None)
        base = self.live_server_url
        sign_in(page, base, "alice")
        response = page.goto(base + "/api/v1/docs")
        self.assertIn("script-src 'self'", response.headers["content-security-policy"])
        page.get_by_role("heading", name="stillhere API reference").wait_for()
        # Swagger UI drew the operations from openapi.json, so its script ran.
        page.locator(".opblock-summary-path", has_text="/api/v1/clients").first.wait_for()
        self.assertGreater(page.locator(".opblock").count(), 10)
        page.locator(".opblock-summary", has_text="List the clients you may see").first.click()
        page.get_by_role("button", name="Try it out").first.wait_for()
        self.assertEqual(page.locator("button.authorize").count(), 1)
        page.screenshot(path=str(ARTIFACTS / "api-docs.png"), full_page=False)
        self.assertEqual(page.evaluate("window.__violations"), [])
        self.assertEqual([m for m in console if "Content Security Policy" in m or "Refused" in m], [])
        page.close()
