"""Debian's Chromium for browser tests: headless, with no network chatter,
and one base class so every app's browser tests start it the same way."""

import os
import shutil
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# An init script that keeps every Content-Security-Policy refusal in
# window.__violations, so a test can assert the page needed none.
CSP_VIOLATIONS = """
window.__violations = [];
document.addEventListener('securitypolicyviolation',
  e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sourceFile || '')));
"""


def chromium_available() -> bool:
    return os.path.exists(CHROMIUM) or bool(shutil.which("chromium"))


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)


def skip_without_chromium() -> None:
    """Call at module level: skip the module without Chromium, except where
    STILLHERE_REQUIRE_BROWSER is set (CI), where its absence is an error."""
    import pytest

    if chromium_available():
        return
    if os.getenv("STILLHERE_REQUIRE_BROWSER"):
        raise RuntimeError("Chromium is required (apt-get install chromium) but /usr/bin/chromium is missing.")
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)


def _live_server_base():
    from django.contrib.staticfiles.testing import StaticLiveServerTestCase

    class BrowserTestCase(StaticLiveServerTestCase):
        """A live server plus one Chromium for the test class."""

        @classmethod
        def setUpClass(cls):
            # Playwright's sync API runs an event loop in this thread; the
            # ORM calls in test bodies are still synchronous and safe.
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
            super().setUpClass()
            from playwright.sync_api import sync_playwright

            cls.pw = sync_playwright().start()
            cls.browser = launch(cls.pw)
            ARTIFACTS.mkdir(exist_ok=True)

        @classmethod
        def tearDownClass(cls):
            cls.browser.close()
            cls.pw.stop()
            super().tearDownClass()

    return BrowserTestCase


def __getattr__(name):
    # Built on first use, so importing this module needs no configured Django.
    if name == "BrowserTestCase":
        return _live_server_base()
    raise AttributeError(name)
