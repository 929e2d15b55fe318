"""`stillhere serve` as a practice runs it: gunicorn, DEBUG off, the real
security headers, a clinician signing in and reading the inbox in Chromium,
at desktop and phone width."""

import os
import socket
import subprocess
import sys
import time
from datetime import datetime, timezone
from unittest import skipUnless
from urllib.request import urlopen

from django.db import connection
from django.test import TransactionTestCase, override_settings

from stillhere.accounts.models import Practice
from stillhere.engagement.scan import scan_practice
from stillhere.lib.browser import ARTIFACTS, launch, skip_without_chromium
from stillhere.test import PASSWORD, make_client, make_member

skip_without_chromium()

ON_POSTGRES = connection.vendor == "postgresql"
NOW = datetime(2026, 1, 15, 11, tzinfo=timezone.utc)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@skipUnless(ON_POSTGRES, "the server process needs a shared PostgreSQL database")
class ServeBrowserTestCase(TransactionTestCase):
    def setUp(self):
        practice = Practice.objects.create(name="Riverside Practice", slug="riverside", timezone="Europe/London")
        # The server checks passwords with the production hashers (argon2).
        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.Argon2PasswordHasher"]):
            alice = make_member(practice, "alice", "clinician", first_name="Alice")
        make_client(practice, alice, "r-001", "Ana", "Abbott")
        scan_practice(practice, NOW)
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if k != "TEST_DB_NAME"}
        env.update(DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{connection.settings_dict['NAME']}",
                   DEBUG="False", ALLOWED_HOSTS="127.0.0.1")
        self.server = subprocess.Popen(
            [sys.executable, "-m", "stillhere.cli", "serve", "--bind", f"127.0.0.1:{self.port}",
             "--workers", "1", "--threads", "4"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.url = f"http://127.0.0.1:{self.port}"
        end = time.monotonic() + 180
        while time.monotonic() < end:
            try:
                urlopen(self.url + "/login/", timeout=5).read()
                break
            except OSError:
                if self.server.poll() is not None:
                    self.fail(self.server.stdout.read())
                time.sleep(0.5)

    def tearDown(self):
        self.server.terminate()
        self.output, _ = self.server.communicate(timeout=60)

    def test_a_clinician_signs_in_and_reads_the_inbox_on_the_production_server(self):
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            browser = launch(pw)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            response = page.goto(self.url + "/")
            headers = response.headers
            self.assertEqual(headers["x-frame-options"], "DENY")
            self.assertEqual(headers["x-content-type-options"], "nosniff")
            self.assertEqual(headers["referrer-policy"], "same-origin")
            page.get_by_label("Username").fill("alice")
            page.get_by_label("Password").fill(PASSWORD)
            page.keyboard.press("Enter")
            page.wait_for_url(self.url + "/")
            self.assertEqual(page.get_by_role("heading", level=1).inner_text().strip(), "Needs attention")
            self.assertTrue(page.get_by_text("Ana Abbott").first.is_visible())
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "serve-inbox-1280.png"), full_page=True)
            page.set_viewport_size({"width": 390, "height": 844})
            page.screenshot(path=str(ARTIFACTS / "serve-inbox-390.png"), full_page=True)
            # DEBUG is off: a page that does not exist says so in plain words, no traceback.
            missing = page.goto(self.url + "/no-such-page/")
            self.assertEqual(missing.status, 404)
            self.assertNotIn("Traceback", page.content())
            self.assertNotIn("URLconf", page.content())
            page.screenshot(path=str(ARTIFACTS / "serve-404-390.png"), full_page=True)
            # The health answer for monitoring is there, and names nobody.
            health = page.goto(self.url + "/healthz")
            self.assertEqual(health.status, 503)   # no worker running in this test
            self.assertNotIn("Ana", page.content())
            browser.close()
