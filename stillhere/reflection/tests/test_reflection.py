"""The rupture review: private to its author, encrypted at rest, prompting
from the facts, and the only thing that leaves it is a de-identified summary."""

from datetime import date, timedelta

from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from stillhere.audit.models import AuditEvent
from stillhere.clients.models import Appointment, Episode, SessionMarker
from stillhere.lib import crypto
from stillhere.lib.crypto import DecryptionError
from stillhere.reflection.deidentify_regex import scrub, shift_dates
from stillhere.reflection.models import ConsultationSummary, Reflection
from stillhere.test import BaseTestCase

ANSWERS = {
    "last_sessions": "Ana Abbott came in 30 minutes late on 5 Jan 2026 and spoke about her brother Tomas at the end.",
    "safety": "mixed", "safety_note": "She lives at 4 Mill Lane, Fairhaven FH1 2AB; email r-001@example.org.",
    "ruptures": "I pressed on when she went quiet.", "rupture_named": "not_named", "progress": "unsure",
    "progress_note": "", "other_fit": "referral", "other_fit_note": "Perhaps a group in Leeds.",
    "differently": "Slow down in a shortened first session; call +44 7700 900123 was not needed.",
}


class ReflectionTestCase(BaseTestCase):
    def setUp(self):
        self.ana.address_line1, self.ana.city, self.ana.postal_code = "4 Mill Lane", "Fairhaven", "FH1 2AB"
        self.ana.save()
        self.episode = self.ana.episodes.get()
        Episode.objects.filter(pk=self.episode.pk).update(ended=date(2026, 2, 20), end_reason="no_goodbye",
                                                          state="ended_no_goodbye")
        first = self.episode.appointments.order_by("start").first()
        Appointment.objects.filter(pk=first.pk).update(minutes_late=30)
        SessionMarker.objects.create(appointment=first, kind="hard_session", created_by=self.alice)
        self.url = f"/reflection/endings/{self.episode.pk}/"

    def write(self, action="save"):
        self.login(self.alice)
        return self.client.post(self.url, ANSWERS | {"action": action})

    def test_the_review_walks_through_the_last_sessions_and_prompts_from_the_facts(self):
        self.login(self.alice)
        r = self.client.get(self.url)
        self.assertContains(r, "The last sessions")
        self.assertContains(r, "They arrived 30 minutes late in week 1")
        self.assertContains(r, "first sessions, when leaving is most common")
        self.assertContains(r, "Was the rupture named between you?")
        self.assertContains(r, "What would you do differently next time?")

    def test_the_review_is_saved_encrypted_and_only_its_author_can_read_it(self):
        self.assertRedirects(self.write("complete"), self.url)
        reflection = Reflection.objects.get()
        self.assertTrue(reflection.complete)
        self.assertEqual(reflection.ruptures, "I pressed on when she went quiet.")
        with connection.cursor() as cur:
            cur.execute("SELECT ruptures, last_sessions FROM reflection_reflection")
            stored = cur.fetchone()
        self.assertTrue(all(v.startswith("fernet:") for v in stored))
        self.assertNotIn("pressed on", " ".join(stored))
        self.assertTrue(AuditEvent.objects.filter(verb="reflection-saved", actor=self.alice.user).exists())
        self.assertFalse(AuditEvent.objects.filter(data__icontains="pressed").exists())
        for member in (self.bob, self.dora, self.adam, self.cora, self.charlie):
            self.login(member)
            self.assertEqual(self.client.get(self.url).status_code, 404, member)
            self.assertEqual(self.client.post(f"/reflection/{reflection.pk}/summary/").status_code, 404, member)

    def test_only_endings_without_goodbye_can_be_reviewed(self):
        Episode.objects.filter(pk=self.episode.pk).update(end_reason="planned", state="ended_planned")
        self.login(self.alice)
        self.assertEqual(self.client.get(self.url).status_code, 404)

    def test_the_summary_drops_names_places_contacts_and_moves_dates(self):
        self.write("complete")
        self.login(self.alice)
        r = self.client.post(f"/reflection/{Reflection.objects.get().pk}/summary/", {"action": "preview"})
        text = r.context["text"]
        for secret in ("Ana", "Abbott", "Tomas", "Mill Lane", "Fairhaven", "FH1 2AB", "r-001@example.org",
                       "7700 900123", "Leeds", "5 Jan 2026", "Alice", "Riverside"):
            self.assertNotIn(secret, text)
        self.assertIn("[client] came in 30 minutes late on", text)
        self.assertIn("her brother [name] at the end", text)
        self.assertIn("week 1, attended, session 1, 30 min late, hard session", text)
        self.assertIn("A referral (another service or specialist).", text)
        self.assertFalse(ConsultationSummary.objects.exists())  # nothing shared until the author says so

    def test_a_shared_summary_is_read_by_consultants_and_no_one_else(self):
        self.write("complete")
        reflection = Reflection.objects.get()
        r = self.client.post(f"/reflection/{reflection.pk}/summary/", {"action": "share", "text": "A case, edited."})
        self.assertContains(r, "Please tick the box", status_code=400)
        self.assertFalse(ConsultationSummary.objects.exists())
        self.client.post(f"/reflection/{reflection.pk}/summary/",
                         {"action": "share", "text": "A case, edited.", "reviewed": "yes"})
        summary = ConsultationSummary.objects.get()
        self.assertEqual(summary.reviewed_by, self.alice)
        self.login(self.cora)
        self.assertContains(self.client.get("/consultation/"), f"Case summary {summary.pk}")
        r = self.client.get(f"/consultation/{summary.pk}/")
        self.assertContains(r, "A case, edited.")
        event = AuditEvent.objects.get(verb="consultation-viewed")
        self.assertIsNone(event.client)
        for member in (self.bob, self.dora, self.charlie):
            self.login(member)
            self.assertEqual(self.client.get(f"/consultation/{summary.pk}/").status_code, 404, member)

    def test_the_preview_marks_what_might_still_identify_and_sharing_records_who_checked(self):
        self.write("complete")
        reflection = Reflection.objects.get()
        url = f"/reflection/{reflection.pk}/summary/"
        r = self.client.post(url, {"action": "preview"})
        self.assertNotIn("Tomas", r.content.decode())
        edited = r.context["text"] + "\nShe works at the only tattoo parlour on Quayside, unit 77."
        r = self.client.post(url, {"action": "check", "text": edited})
        marked = {f.word for f in r.context["marked"]}
        self.assertEqual(marked, {"Quayside", "77"})
        self.assertContains(r, '<mark class="phi-check" title="Check: a capitalised word">Quayside')
        self.client.post(url, {"action": "share", "text": edited.replace("on Quayside, unit 77", ""),
                               "reviewed": "yes"})
        summary = ConsultationSummary.objects.get()
        self.assertEqual((summary.reviewed_by, summary.marked_words), (self.alice, 0))
        event = AuditEvent.objects.get(verb="consultation-shared")
        self.assertEqual((event.actor, event.data), (self.alice.user, {"marked_words": 0}))

    def test_the_regex_baseline_treats_an_unknown_capitalised_word_mid_sentence_as_a_name(self):
        out = scrub("She said Marguerite was cross. I use CBT. We met in March.", self.episode, timedelta(0))
        self.assertEqual(out, "She said [name removed] was cross. I use CBT. We met in March.")

    def test_keys_rotate_and_old_text_stays_readable(self):
        # The old key is the one everything so far was written with (the
        # client's details too): rotatekeys re-encrypts every encrypted field.
        old, new = crypto.keys()[0], Fernet.generate_key().decode()
        with override_settings(FIELD_ENCRYPTION_KEYS=[old]):
            self.write()
        with override_settings(FIELD_ENCRYPTION_KEYS=[new, old]):
            self.assertEqual(Reflection.objects.get().differently, ANSWERS["differently"])
            call_command("rotatekeys", stdout=open("/dev/null", "w"))
        with override_settings(FIELD_ENCRYPTION_KEYS=[new]):
            self.assertEqual(Reflection.objects.get().differently, ANSWERS["differently"])
        with override_settings(FIELD_ENCRYPTION_KEYS=[old]):
            with self.assertRaises(DecryptionError):
                Reflection.objects.get().differently
            self.login(self.alice)
            r = self.client.get(self.url)
            self.assertContains(r, "No configured key opens this text", status_code=500)
        self.assertTrue(AuditEvent.objects.filter(verb="encryption-keys-rotated").exists())


def test_dates_in_free_text_move_together():
    shifted = shift_dates("Seen 2026-01-05, then 12 January and Jan 19th 2026.", timedelta(days=40), 2026)
    assert shifted == "Seen 14 Feb 2026, then 21 Feb 2026 and 28 Feb 2026."
