"""Regression tests for the attacks of issue 17 that belong to no single app:
line breaks in email subjects, NUL bytes in forms, and no-store on pages."""

from django.test import override_settings

from stillhere.outreach.models import MessageTemplate, OutreachStep, Reply
from stillhere.outreach.tests.helpers import DAY1, SMTP_SETTINGS, Mailbox, OutreachTestCase, miss, td, tick

GOOD_BODY = ("Hi {{ name }}, it's {{ clinician }}. I noticed we missed each other and wanted to check in. "
             "If you'd like to talk, you can {{ how_to_reach }}. Whenever you're ready, the door is open.")


class HeaderInjectionTestCase(OutreachTestCase):
    def test_a_template_subject_with_a_line_break_is_refused_when_saved(self):
        self.login(self.dora)
        r = self.client.post("/outreach/templates/checking_in/email/",
                             {"subject": "Checking in\r\nBcc: everyone@example.org", "body": GOOD_BODY})
        self.assertContains(r, "The subject must be on one line.", status_code=400)
        self.assertFalse(MessageTemplate.objects.exists())

    def test_an_approved_subject_with_a_line_break_is_refused(self):
        from django.core.exceptions import ValidationError

        from stillhere.outreach import actions

        miss(self.ana)
        tick(DAY1)
        tick(DAY1 + td(days=4))
        step = self.step("message")
        with self.assertRaisesMessage(ValidationError, "one line"):
            actions.approve(self.alice, step, DAY1, subject="Hello\nBcc: x@example.org")
        step.refresh_from_db()
        self.assertEqual(step.status, "awaiting_approval")

    def test_a_stored_subject_with_a_line_break_fails_cleanly_and_sends_nothing(self):
        """A template saved before this check (or edited in the database)
        must not leave the step "uncertain": nothing went, and it says so."""
        miss(self.ana)
        tick(DAY1)
        tick(DAY1 + td(days=4))
        OutreachStep.objects.filter(key="message").update(status="approved",
                                                          subject="Checking in\r\nBcc: all@example.org")
        with Mailbox() as box, override_settings(**SMTP_SETTINGS, EMAIL_PORT=box.port):
            tick(DAY1 + td(days=4))
        step = self.step("message")
        self.assertEqual(step.status, "failed")
        self.assertIn("line break", step.attempts.get().error)
        self.assertEqual(box.messages, [])


class NulAndCacheTestCase(OutreachTestCase):
    def test_a_nul_byte_in_a_form_is_refused_in_words_and_saves_nothing(self):
        self.login(self.alice)
        r = self.client.post(f"/clients/{self.ana.code}/reply/", {"source": "other", "text": "hello\x00there"})
        self.assertContains(r, "invisible control character", status_code=400)
        self.assertContains(r, "Nothing was saved", status_code=400)
        self.assertFalse(Reply.objects.filter(client=self.ana).exists())
        r = self.client.get("/clients/?q=a\x00b")
        self.assertEqual(r.status_code, 400)

    def test_pages_with_client_data_are_not_stored_by_the_browser(self):
        self.login(self.alice)
        for url in ("/", "/clients/", f"/clients/{self.ana.code}/", "/login/"):
            r = self.client.get(url)
            self.assertEqual(r["Cache-Control"], "no-store", url)


def test_the_access_log_keeps_no_query_string_and_no_exception_message():
    import logging

    from stillhere.lib.redact import RedactingFormatter

    fmt = RedactingFormatter("%(message)s")
    line = fmt.format(logging.LogRecord("django.server", logging.INFO, __file__, 1,
                                        '"GET /clients/?q=Whitfield HTTP/1.1" 200 5120', None, None))
    assert "Whitfield" not in line and "/clients/?…" in line
    address = "dana." + "whitfield@example.org"  # data, not source: the source line is kept
    try:
        raise ValueError(f"Invalid address {address}")
    except ValueError:
        import sys

        rec = logging.LogRecord("stillhere", logging.ERROR, __file__, 1, "tick failed", None, sys.exc_info())
    text = fmt.format(rec)
    assert "whitfield" not in text.lower() and "ValueError (message withheld" in text and "test_regressions.py" in text
