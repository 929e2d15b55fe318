"""In Chromium: a clinician writes a review naming everyone, makes the
summary, sees what to check, shares it; the consultant reads it and
nothing in the page identifies anyone. Screenshots of the preview at
1280 and 390 px go to test-artifacts/reflection/."""

import json
from datetime import date
from pathlib import Path

from stillhere.lib.browser import ARTIFACTS as ALL_ARTIFACTS, BrowserTestCase, skip_without_chromium
from stillhere.security.testing import pass_second_step

skip_without_chromium()
ARTIFACTS = ALL_ARTIFACTS / "reflection"
AXE = Path(__file__).resolve().parents[2] / "desk" / "tests" / "axe" / "axe.min.js"
PASSWORD = "correct horse battery"
REVIEW = {
    "What happened in the last sessions, as you remember them?":
        "Zoë Nowak came late on Thursday 15 Jan 2026. Her ex-partner Tomasz Wójcik had called her at "
        "07700 900123; her sister Bea and Dr Patel at Riverside Bakery on 14 Elm Street know. "
        "She mentioned Ben Baker, whom she met in the waiting room, and her zoe.n@example.org inbox.",
    "Were there moments of strain or rupture between you?":
        "I pushed the CBT homework and the PHQ-9 too soon; Mum's illness came up and I moved on.",
    "What would you do differently next time?": "Slow down; offer EMDR later; check the GAD-7 together.",
}
SECRETS = ["Zoë", "Zoe", "Nowak", "Tomasz", "Wójcik", "Bea", "Patel", "Riverside Bakery", "Elm Street", "900123",
           "zoe.n", "Ben", "Baker", "15 Jan", "Thursday 15", "alice", "Alice"]


class ConsultationBrowserTestCase(BrowserTestCase):
    def setUp(self):
        from stillhere.accounts.models import Membership, Practice
        from stillhere.clients.models import Episode
        from stillhere.test import make_client, make_member

        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.practice = Practice.objects.create(name="Harbour Lane Therapy", slug="harbour", timezone="Europe/London")
        self.alice = make_member(self.practice, "alice", Membership.Role.CLINICIAN)
        self.cora = make_member(self.practice, "cora", Membership.Role.CONSULTANT)
        zoe = make_client(self.practice, self.alice, "z-1", "Zoë", "Nowak")
        make_client(self.practice, self.alice, "b-1", "Ben", "Baker")
        self.episode = zoe.episodes.get()
        Episode.objects.filter(pk=self.episode.pk).update(ended=date(2026, 2, 20), end_reason="no_goodbye",
                                                          state="ended_no_goodbye")
        self.context = self.browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()

    def tearDown(self):
        self.context.close()

    def sign_in(self, username):
        self.context.clear_cookies()
        self.page.goto(self.live_server_url + "/login/")
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(PASSWORD)
        self.page.keyboard.press("Enter")
        pass_second_step(self.page, username)
        self.page.wait_for_url(self.live_server_url + "/")

    def axe(self):
        for width in (1280, 390):
            self.page.set_viewport_size({"width": width, "height": 900})
            self.page.evaluate(AXE.read_text())  # not a script tag: the CSP refuses inline scripts
            result = self.page.evaluate("axe.run(document, {resultTypes: ['violations']})")
            bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
            self.assertEqual(bad, [], json.dumps([{"id": v["id"], "nodes": [n["html"][:160] for n in v["nodes"][:3]]}
                                                  for v in bad]))
        self.page.set_viewport_size({"width": 1280, "height": 900})

    def test_review_preview_share_and_the_consultant_reads_nothing_identifying(self):
        from stillhere.reflection.models import ConsultationSummary

        page = self.page
        self.sign_in("alice")
        page.goto(f"{self.live_server_url}/reflection/endings/{self.episode.pk}/")
        for label, text in REVIEW.items():
            page.get_by_label(label).fill(text)
        page.get_by_role("button", name="Save as finished").click()
        page.get_by_role("button", name="Make a de-identified summary").click()
        page.get_by_role("heading", name="Read it before you share it").wait_for()
        preview = page.locator(".summary-preview").inner_text()
        for secret in SECRETS:
            self.assertNotIn(secret, preview)
        for clinical in ("CBT", "PHQ-9", "EMDR", "GAD-7", "Mum"):
            self.assertIn(clinical, preview)
        # The author adds a detail only they would know identifies her; the check marks it.
        box = page.get_by_label("Summary to share (you can change it)")
        box.fill(box.input_value() + "\nShe runs the stall at Kirkgate Market, pitch 41.")
        page.get_by_role("button", name="Check my changes again").click()
        marks = page.locator(".summary-preview mark.phi-check").all_inner_texts()
        self.assertIn("Kirkgate", " ".join(marks))
        self.assertIn("41", " ".join(marks))
        page.screenshot(path=str(ARTIFACTS / "summary-preview-1280.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(ARTIFACTS / "summary-preview-390.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})
        self.axe()
        box = page.get_by_label("Summary to share (you can change it)")
        box.fill(box.input_value().replace("\nShe runs the stall at Kirkgate Market, pitch 41.", ""))
        page.get_by_role("button", name="Share with consultants").click()
        page.get_by_role("alert").wait_for()  # not ticked: nothing shared yet
        self.assertFalse(ConsultationSummary.objects.exists())
        page.get_by_label("I have read the summary and checked the marked words").check()
        page.get_by_role("button", name="Share with consultants").click()
        page.wait_for_url(f"{self.live_server_url}/reflection/endings/{self.episode.pk}/")
        summary = ConsultationSummary.objects.get()
        self.assertEqual(summary.reviewed_by, self.alice)

        self.sign_in("cora")
        page.goto(self.live_server_url + "/consultation/")
        page.get_by_role("link", name=f"Case summary {summary.pk}").click()
        page.get_by_role("heading", name=f"Case summary {summary.pk}").wait_for()
        text = page.locator("main").inner_text() if page.locator("main").count() else page.inner_text("body")
        for secret in SECRETS + ["Kirkgate", "41"]:
            self.assertNotIn(secret, text, secret)
        self.assertIn("CBT", text)
