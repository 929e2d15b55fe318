"""What the outreach browser tests share: signing in as a member, and
looking at a page at desktop and phone width (axe-core finds nothing
serious or critical; a screenshot of each width is kept)."""

import json

from stillhere.desk.tests.browser import AXE
from stillhere.lib.browser import ARTIFACTS as ALL_ARTIFACTS
from stillhere.test import PASSWORD
from stillhere.security.testing import pass_second_step

ARTIFACTS = ALL_ARTIFACTS / "outreach"
WIDTHS = (1280, 390)


def sign_in(test, page, username):
    test.context.clear_cookies()
    page.goto(test.live_server_url + "/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")
    pass_second_step(page, username)
    page.wait_for_url(test.live_server_url + "/")


def no_serious_accessibility_problems(test, page):
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.evaluate(AXE.read_text())  # not a script tag: the CSP refuses inline scripts
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
        test.assertEqual(bad, [], json.dumps([(v["id"], v["help"]) for v in bad]))
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})


def shots(page, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})
