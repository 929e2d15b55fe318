"""Safety never waits unseen: a same-day safety check nobody logged as
"spoke" by the practice's hour reaches the director and the admin.

Walked with the wall clock moved (time-machine) and the real `stillhere
tick` command, so it is the path cron or `stillhere worker` takes; the email
goes to a real SMTP server on loopback.
"""

import io
from email import message_from_bytes
from email.policy import default

import time_machine
from django.core.management import call_command
from django.test import override_settings

from stillhere.audit.models import AuditEvent
from stillhere.outreach import actions
from stillhere.outreach.models import OutreachSettings, OutreachStep, SafetyEscalation

from .helpers import SMTP_SETTINGS, Mailbox, OutreachTestCase, datetime, miss, td, tz

# Monday 12 January 2026, London (UTC in winter): the session at 10:00 is missed.
MISSED = datetime(2026, 1, 12, 10, tzinfo=tz.utc)


def run_tick() -> str:
    out = io.StringIO()
    call_command("tick", stdout=out)
    return out.getvalue()


class SafetyEscalationTest(OutreachTestCase):
    def setUp(self):
        super().setUp()
        self.prefs = OutreachSettings.objects.create(
            practice=self.riverside, safety_escalate_email=True, sender_name="Riverside",
            crisis_line="If you are in danger now, call 999, or 111 for urgent help.")
        self.ana.safety_concern = True
        self.ana.emergency_name, self.ana.emergency_relationship = "Sam Abbott", "sister"
        self.ana.emergency_phone, self.ana.emergency_consent = "07700 900 123", True
        self.ana.save()
        miss(self.ana, at=MISSED, safety_check=True)

    def inbox(self, member) -> str:
        self.login(member)
        return self.client.get("/").content.decode()

    def test_an_unresolved_check_escalates_past_the_hour_to_director_and_admin(self):
        with Mailbox() as box, override_settings(**SMTP_SETTINGS, EMAIL_PORT=box.port,
                                                 SITE_URL="https://care.riverside.example"):
            with time_machine.travel(MISSED + td(hours=1), tick=False):
                run_tick()
                step = OutreachStep.objects.get(key="safety_check")
                self.assertEqual(step.status, "to_call")
                self.assertIn("call 999, or 111", step.body)  # the crisis line, in the script itself
                self.assertIn("today", step.body)
                self.assertFalse(SafetyEscalation.objects.exists())
                self.assertNotIn("Unresolved safety check", self.inbox(self.dora))
            with time_machine.travel(datetime(2026, 1, 12, 16, 59, tzinfo=tz.utc), tick=False):
                run_tick()
                self.assertFalse(SafetyEscalation.objects.exists())  # a minute before the hour
            with time_machine.travel(datetime(2026, 1, 12, 17, 1, tzinfo=tz.utc), tick=False):
                out = run_tick()
                self.assertIn("escalated, 2 email(s)", out)
                run_tick()  # a second tick escalates nothing more
            self.assertEqual(SafetyEscalation.objects.count(), 1)
            self.assertEqual(len(box.messages), 2)

            self.assertEqual(sorted(e.rcpt_tos[0] for e in box.messages), ["adam@example.org", "dora@example.org"])
            msg = message_from_bytes(box.messages[0].content, policy=default)
            text = msg["Subject"] + msg.get_content()
            self.assertIn(f"https://care.riverside.example/outreach/steps/{step.code}/", text)
            for detail in ("Ana", "Abbott", "Alice", "safety concern", "07700", "+1555"):
                self.assertNotIn(detail, text)

            for member in (self.dora, self.adam):
                page = self.inbox(member)
                self.assertIn("Unresolved safety check", page)
                self.assertIn("Nobody had logged speaking with them by 17:00", page)
                self.assertIn("Sam Abbott", page)  # the emergency contact, on the safety item
                self.assertIn('href="tel:07700900123"', page)
            self.assertNotIn("Unresolved safety check", self.inbox(self.bob))  # another clinician
            self.assertEqual(AuditEvent.objects.filter(verb="safety-escalated").count(), 1)

            # Alice speaks with Ana: the check is resolved and leaves the inbox.
            with time_machine.travel(datetime(2026, 1, 12, 17, 30, tzinfo=tz.utc), tick=False):
                actions.log_call(self.alice, step, "spoke", datetime(2026, 1, 12, 17, 30, tzinfo=tz.utc))
                self.assertNotIn("Unresolved safety check", self.inbox(self.dora))

    def test_speaking_with_the_client_before_the_hour_means_no_escalation(self):
        with time_machine.travel(MISSED + td(hours=1), tick=False):
            run_tick()
            step = OutreachStep.objects.get(key="safety_check")
            actions.log_call(self.alice, step, "spoke", MISSED + td(hours=1))
        with time_machine.travel(datetime(2026, 1, 12, 18, tzinfo=tz.utc), tick=False):
            run_tick()
        self.assertFalse(SafetyEscalation.objects.exists())

    def test_a_voicemail_is_not_speaking_with_them(self):
        with time_machine.travel(MISSED + td(hours=1), tick=False):
            run_tick()
            step = OutreachStep.objects.get(key="safety_check")
            actions.log_call(self.alice, step, "voicemail", MISSED + td(hours=1))
        with time_machine.travel(datetime(2026, 1, 12, 17, 5, tzinfo=tz.utc), tick=False):
            run_tick()
        self.assertTrue(SafetyEscalation.objects.exists())

    def test_the_practice_sets_the_hour_and_a_late_check_escalates_at_once(self):
        OutreachSettings.objects.filter(pk=self.prefs.pk).update(safety_escalate_at="12:00",
                                                                 safety_escalate_email=False)
        with time_machine.travel(datetime(2026, 1, 12, 12, 30, tzinfo=tz.utc), tick=False):
            out = run_tick()
        self.assertIn("unresolved at 12:30: escalated", out)  # started after 12:00: no waiting till tomorrow
        self.assertEqual(SafetyEscalation.objects.get().emailed, 0)

    def test_the_clinician_sees_the_number_and_emergency_contact_on_the_call(self):
        with time_machine.travel(MISSED + td(hours=1), tick=False):
            run_tick()
            self.login(self.alice)
            page = self.client.get("/").content.decode()
            self.assertIn('href="tel:+15555550100"', page)
            self.assertIn("a voicemail is fine", page)
            self.assertIn("Sam Abbott", page)
            step = OutreachStep.objects.get(key="safety_check")
            detail = self.client.get(f"/outreach/steps/{step.code}/").content.decode()
            self.assertIn('href="tel:+15555550100"', detail)
            self.assertIn("sister", detail)
            self.ana.emergency_consent = False
            self.ana.save()
            self.assertNotIn("Sam Abbott", self.client.get(f"/outreach/steps/{step.code}/").content.decode())
