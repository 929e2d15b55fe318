"""The Content-Security-Policy in real Chromium: a director signs in with
the password and the second step (set up here, in the page), then uses a
page whose forms work through htmx, and the browser reports no violation."""

import re

from stillhere.lib.browser import ARTIFACTS, CSP_VIOLATIONS, BrowserTestCase, skip_without_chromium
from stillhere.security.testing import code
from stillhere.test import PASSWORD, make_client, make_member

skip_without_chromium()


class CspBrowserTestCase(BrowserTestCase):
    def test_a_director_sets_up_the_second_step_and_htmx_works_with_no_csp_violation(self):
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from stillhere.accounts.models import Practice
        from stillhere.measures.models import MeasureResult

        practice = Practice.objects.create(name="Riverside Practice", slug="riverside", timezone="Europe/London")
        dora = make_member(practice, "dora", "director")
        ana = make_client(practice, make_member(practice, "alice", "clinician"), "r-001", "Ana", "Abbott")
        page = self.browser.new_page()
        page.add_init_script(CSP_VIOLATIONS)
        console = []
        page.on("console", lambda m: console.append(m.text) if m.type in ("error", "warning") else None)
        base = self.live_server_url
        page.goto(base + "/login/")
        page.get_by_label("Username").fill("dora")
        page.get_by_label("Password").fill(PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r".*/account/two-step/.*"))
        page.get_by_role("heading", name="Set up the second step").wait_for()
        self.assertTrue(page.locator("img.qr").evaluate("img => img.complete && img.naturalWidth > 0"))
        page.screenshot(path=str(ARTIFACTS / "two-step-setup.png"), full_page=True)
        device = TOTPDevice.objects.get(user=dora.user, confirmed=False)
        page.get_by_label("Code").fill(code(device))
        page.get_by_role("button", name="Turn on the second step").click()
        page.get_by_role("heading", name="Your recovery codes").wait_for()
        self.assertEqual(page.locator(".recovery-codes li").count(), 10)
        page.get_by_role("button", name="I have kept them: continue").click()
        page.wait_for_url(base + "/")

        page.goto(f"{base}/clients/{ana.code}/")
        page.get_by_label("Questionnaire").select_option("PHQ-9")      # hx-get swaps in the items
        page.get_by_label("9. Thoughts of death or self-harm").wait_for()
        for i in range(1, 10):
            page.locator(f"#m-item{i}").fill("1")
        page.get_by_role("button", name="Save rating").click()         # hx-post swaps the panel
        page.get_by_role("status").wait_for()
        self.assertEqual(MeasureResult.objects.filter(client=ana).count(), 1)
        self.assertEqual(page.evaluate("window.__violations"), [])
        self.assertEqual([m for m in console if "Content Security Policy" in m or "Refused" in m], [])
        self.assertIn("script-src 'self'", page.request.get(base + "/").headers["content-security-policy"])
        page.close()
