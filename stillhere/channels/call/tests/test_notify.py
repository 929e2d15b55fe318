"""Calls are tasks with a script; a person logs the outcome."""

from django.core.exceptions import PermissionDenied

from stillhere.audit.models import AuditEvent
from stillhere.outreach import actions
from stillhere.outreach.tests.helpers import DAY1, OutreachTestCase, miss, td, tick


class CallNotifyTestCase(OutreachTestCase):
    def test_the_call_is_a_task_with_a_voicemail_script_free_of_clinical_words(self):
        miss(self.ana)
        tick(DAY1)
        step = self.step("call")
        self.assertEqual(step.status, "to_call")
        for word in ("therap", "session", "counsel"):
            self.assertNotIn(word, step.body.lower())
        self.assertEqual(step.findings, [])

    def test_logging_a_voicemail_keeps_the_sequence_going(self):
        miss(self.ana)
        tick(DAY1)
        actions.log_call(self.alice, self.step("call"), "voicemail", DAY1 + td(hours=1))
        self.assertEqual(self.step("call").outcome, "voicemail")
        self.assertEqual(self.step("message").status, "scheduled")
        self.assertEqual(AuditEvent.objects.filter(verb="call-logged").count(), 1)

    def test_speaking_with_the_client_stops_the_sequence_and_re_engages(self):
        miss(self.ana)
        tick(DAY1)
        actions.log_call(self.alice, self.step("call"), "spoke", DAY1 + td(hours=1))
        self.assertEqual(self.step("message").status, "skipped")
        self.episode.refresh_from_db()
        self.assertEqual(self.episode.state, "re_engaged")

    def test_another_clinician_cannot_log_the_call(self):
        miss(self.ana)
        tick(DAY1)
        with self.assertRaises(PermissionDenied):
            actions.log_call(self.bob, self.step("call"), "spoke", DAY1)
