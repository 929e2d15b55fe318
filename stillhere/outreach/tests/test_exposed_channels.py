"""Nothing on an exposed channel reveals therapy.

The practice is called "Riverside Therapy Centre" and has chosen no sender
name, the worst case. For each channel, what a stranger can see or hear is
taken from where it really ends up (the SMTP server's envelope and headers,
the SMS provider's request, the letter PDF's window area, the call script a
clinician reads out) and searched for a list of clinical words kept here,
apart from the tone check's own lists, so the test does not pass by
sharing the check's blind spots.
"""

import io
import re
from email import message_from_bytes
from email.policy import default

from django.core.exceptions import ValidationError
from django.test import override_settings
from pypdf import PdfReader

from stillhere.audit.models import AuditEvent
from stillhere.outreach import actions, exposed, tone
from stillhere.outreach.models import Letter, OutreachSettings, OutreachStep

from .helpers import (DAY1, SMTP_SETTINGS, Mailbox, OutreachTestCase, miss, sms_settings, start_provider, td,
                      tick)

CLINICAL_TERMS = ("therapy", "therapist", "therapeutic", "counselling", "counseling", "counsellor", "counselor",
                  "psychology", "psychologist", "psychiatr", "psychotherap", "mental health", "clinic", "session",
                  "treatment", "patient", "diagnos", "depress", "anxiety", "trauma", "wellbeing centre")


def revealing(text: str) -> list[str]:
    low = text.lower()
    return [t for t in CLINICAL_TERMS if re.search(r"\b" + re.escape(t), low)]


class ExposedChannelsTest(OutreachTestCase):
    def setUp(self):
        super().setUp()
        self.riverside.name = "Riverside Therapy Centre"
        self.riverside.save()
        self.ana.preferred_name = "Ana 🌻"
        self.ana.save()
        miss(self.ana)

    def approve(self, key):
        step = self.step(key)
        if step.status == "awaiting_approval":
            actions.approve(self.alice, step, DAY1)
        return self.step(key)

    def test_the_default_sender_name_drops_the_clinical_word(self):
        self.assertEqual(exposed.neutral_practice_name(self.riverside), "Riverside Centre")
        self.assertEqual(exposed.sender_name(self.riverside, "Alice Adams"), "Alice Adams, Riverside Centre")
        self.assertEqual(exposed.client_name(self.ana), "Ana")
        OutreachSettings.objects.update_or_create(practice=self.riverside,
                                                  defaults={"sender_name": "Counselling Partners"})
        self.assertEqual(exposed.neutral_practice_name(self.riverside), "Partners")

    def test_voicemail_script(self):
        tick(DAY1)
        step = self.step("call")
        self.assertEqual(step.status, "to_call")
        self.assertIn("it's Alice from Riverside Centre", step.body)
        self.assertIn("Hi Ana,", step.body)  # the preferred name, without the emoji
        self.assertIn("we didn't get to meet on Monday", step.body)  # the missed day, named
        self.assertEqual(revealing(step.body), [])

    def test_text_message(self):
        self.ana.consent_email = False
        self.ana.save()
        srv = start_provider()
        tick(DAY1)
        tick(DAY1 + td(days=4))
        self.approve("message")
        with override_settings(**sms_settings(srv.url)):
            tick(DAY1 + td(days=4))
        srv.shutdown()
        form = srv.requests[0]["form"]
        self.assertIn("Alice at Riverside Centre", form["Body"])
        self.assertEqual(revealing(form["Body"] + " " + form["From"]), [])
        self.assertNotIn("🌻", form["Body"])

    def test_email_from_line_and_subject(self):
        tick(DAY1)
        tick(DAY1 + td(days=4))
        self.approve("message")
        with Mailbox() as box, override_settings(**SMTP_SETTINGS, EMAIL_PORT=box.port):
            tick(DAY1 + td(days=4))
        msg = message_from_bytes(box.messages[0].content, policy=default)
        seen = f"{msg['From']} {msg['Subject']} {box.messages[0].mail_from}"
        self.assertIn("Alice, Riverside Centre", msg["From"])
        self.assertEqual(revealing(seen), [])

    def test_envelope_window_and_letterhead(self):
        OutreachSettings.objects.update_or_create(practice=self.riverside,
                                                  defaults={"return_address": "1 Quay Street\nFairhaven"})
        tick(DAY1)
        tick(DAY1 + td(days=4))
        actions.skip(self.alice, self.step("message"), "letter only")
        tick(DAY1 + td(days=11))
        self.approve("letter")
        tick(DAY1 + td(days=11))
        pdf = bytes(Letter.objects.get(step=self.step("letter")).pdf)
        mm = 72 / 25.4
        shown = []

        def visitor(text, cm, tm, font, size):
            # The window (DIN 5008 B, with a few mm to spare) and the letterhead above it.
            if text.strip() and 297 - tm[5] / mm <= 95:
                shown.append(text.strip())
        PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visitor)
        self.assertIn("Ana Abbott", shown)
        self.assertIn("Alice, Riverside Centre", shown)
        self.assertEqual(revealing(" ".join(shown)), [])

    def test_a_revealing_draft_cannot_be_approved_without_a_reason_on_any_channel(self):
        tick(DAY1)
        tick(DAY1 + td(days=4))
        for key in ("message",):
            step = self.step(key)
            bad = step.body + "\nIf I don't hear from you by Friday, I will close your file."
            with self.assertRaises(ValidationError):
                actions.approve(self.alice, step, DAY1, body=bad)
            with self.assertRaises(ValidationError) as e:
                actions.approve(self.alice, step, DAY1, body=bad, despite_findings=True)
            self.assertIn("say why", " ".join(e.exception.messages))
        # A call script with a problem waits for approval too, like any other draft.
        call = self.step("call")
        OutreachStep.objects.filter(pk=call.pk).update(status="awaiting_approval")
        call.refresh_from_db()
        with self.assertRaises(ValidationError):
            actions.approve(self.alice, call, DAY1, body=call.body + " About your therapy.")

    def test_an_override_with_a_reason_is_kept_and_audited(self):
        tick(DAY1)
        tick(DAY1 + td(days=4))
        step = self.step("message")
        body = step.body + "\nThere is a fee for missed appointments."
        actions.approve(self.alice, step, DAY1, body=body, despite_findings=True,
                        reason="Ana asked me not to say that; we agreed this wording")
        step.refresh_from_db()
        self.assertEqual(step.status, "approved")
        self.assertEqual(step.override_reason, "Ana asked me not to say that; we agreed this wording")
        event = AuditEvent.objects.filter(verb="outreach-decided").latest("id")
        self.assertEqual(event.data["action"], "edited-and-approved-despite-problems")
        self.assertEqual(event.data["problems"], ["fee"])
        self.assertNotIn("Ana asked", str(event.data))  # the reason is on the step, not in the audit row

    def test_a_chosen_sender_name_that_reveals_therapy_is_never_used_as_it_is(self):
        from stillhere.outreach.exposed import check_draft

        tick(DAY1)
        tick(DAY1 + td(days=4))
        step = self.step("message")
        OutreachSettings.objects.update_or_create(practice=self.riverside,
                                                  defaults={"sender_name": "Riverside Therapy"})
        # The chosen name says "therapy": strangers see it without that word,
        # so the draft has nothing to find in its sender name.
        self.assertEqual(exposed.sender_name(self.riverside, "Alice"), "Alice, Riverside")
        self.assertFalse([f for f in check_draft(step, step.subject, step.body) if f.code == "clinical-word"])
        self.assertIn("clinical-word", {f.code for f in tone.check("Hi.", "sms", sender="Riverside Therapy")})
