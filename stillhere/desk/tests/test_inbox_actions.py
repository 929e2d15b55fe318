"""Acting on the inbox: each action calls its service and answers htmx with
the item's new line, or says beside the item why it was not done."""

import time_machine

from stillhere.audit.models import AuditEvent
from stillhere.desk.models import RiskReview
from stillhere.engagement.transitions import change_state
from stillhere.outreach.models import OutreachStep, PrintBatch
from stillhere.outreach.tests.helpers import DAY1, OutreachTestCase, miss, td, tick

HX = {"HTTP_HX_REQUEST": "true"}


class InboxActionsTestCase(OutreachTestCase):
    def setUp(self):
        super().setUp()
        miss(self.ana)
        tick(DAY1)  # the call task is due at once

    def test_a_call_is_logged_from_the_inbox_without_a_reload(self):
        call = self.step("call")
        self.login(self.alice)
        with time_machine.travel(DAY1, tick=False):
            page = self.client.get("/")
            self.assertContains(page, "How did the call go?")
            r = self.client.post(f"/inbox/steps/{call.code}/call/", {"outcome": "voicemail", "slot": "item-x"}, **HX)
        self.assertEqual(r["HX-Retarget"], "#item-x")
        self.assertContains(r, "call logged (voicemail left)")
        call.refresh_from_db()
        self.assertEqual((call.status, call.outcome), ("logged", "voicemail"))
        self.assertTrue(AuditEvent.objects.filter(verb="call-logged", client=self.ana).exists())

    def test_speaking_with_the_client_re_engages_them(self):
        call = self.step("call")
        self.login(self.alice)
        self.client.post(f"/inbox/steps/{call.code}/call/", {"outcome": "spoke", "slot": "s"}, **HX)
        self.episode.refresh_from_db()
        self.assertEqual(self.episode.state, "re_engaged")
        self.assertFalse(OutreachStep.objects.filter(status__in=OutreachStep.PENDING).exists())

    def test_a_call_logged_twice_says_someone_got_there_first_and_changes_nothing(self):
        call = self.step("call")
        self.login(self.alice)
        self.client.post(f"/inbox/steps/{call.code}/call/", {"outcome": "no_answer", "slot": "s"}, **HX)
        r = self.client.post(f"/inbox/steps/{call.code}/call/", {"outcome": "spoke", "slot": "s"}, **HX)
        self.assertNotIn("HX-Retarget", r)
        self.assertContains(r, "someone else got there first")
        call.refresh_from_db()
        self.assertEqual(call.outcome, "no_answer")

    def test_without_javascript_the_form_posts_and_comes_back_with_a_message(self):
        call = self.step("call")
        self.login(self.alice)
        r = self.client.post(f"/inbox/steps/{call.code}/call/", {"outcome": "no_answer"}, follow=True)
        self.assertRedirects(r, "/")
        self.assertContains(r, "call logged (no answer)")

    def test_a_draft_is_approved_from_the_inbox(self):
        tick(DAY1 + td(days=3, hours=1))
        message = self.step("message")
        self.assertEqual(message.status, "awaiting_approval")
        self.login(self.alice)
        with time_machine.travel(DAY1 + td(days=3, hours=1), tick=False):
            self.assertContains(self.client.get("/"), "Read the draft (email)")
        r = self.client.post(f"/inbox/steps/{message.code}/approve/", {"slot": "m"}, **HX)
        self.assertContains(r, "email approved")
        message.refresh_from_db()
        self.assertEqual((message.status, message.approved_by), ("approved", self.alice.user))

    def test_a_draft_with_tone_problems_is_sent_to_the_composer_not_approved(self):
        tick(DAY1 + td(days=3, hours=1))
        message = self.step("message")
        OutreachStep.objects.filter(pk=message.pk).update(body="You must reply as soon as possible.")
        self.login(self.alice)
        r = self.client.post(f"/inbox/steps/{message.code}/approve/", {"slot": "m"}, **HX)
        self.assertContains(r, "sounds like pressure")
        self.assertContains(r, "composer")
        message.refresh_from_db()
        self.assertEqual(message.status, "awaiting_approval")

    def test_a_failed_message_is_retried_from_the_inbox_once(self):
        tick(DAY1 + td(days=3, hours=1))
        message = self.step("message")
        OutreachStep.objects.filter(pk=message.pk).update(status="failed")
        self.login(self.alice)
        self.assertContains(self.client.get("/"), ">Retry</button>")
        r = self.client.post(f"/inbox/steps/{message.code}/retry/", {"slot": "f"}, **HX)
        self.assertContains(r, "a new attempt is queued")
        again = self.client.post(f"/inbox/steps/{message.code}/retry/", {"slot": "f"}, **HX)
        self.assertContains(again, "Only a failed or uncertain step can be retried")
        self.assertEqual(OutreachStep.objects.filter(retry_of=message, status="approved").count(), 1)

    def test_others_cannot_act_and_a_hidden_step_is_a_404(self):
        call = self.step("call")
        url = f"/inbox/steps/{call.code}/call/"
        for member in (self.bob, self.cora, self.charlie):
            self.login(member)
            self.assertEqual(self.client.post(url, {"outcome": "spoke"}).status_code, 404, member)
        self.login(self.adam)
        self.assertEqual(self.client.post(url, {"outcome": "spoke"}).status_code, 403)
        call.refresh_from_db()
        self.assertEqual(call.status, "to_call")

    def test_letters_are_marked_posted_from_the_inbox(self):
        self.ana.consent_email = False
        self.ana.save()
        OutreachStep.objects.filter(key="message").update(channel="letter")
        OutreachStep.objects.filter(status="to_call").update(status="logged")
        when = DAY1 + td(days=4, hours=1)
        tick(when)
        OutreachStep.objects.filter(status="awaiting_approval").update(status="approved")
        tick(when)
        letter = self.step("message")
        self.assertEqual(letter.status, "to_print")
        batch = PrintBatch.objects.get(status="open")
        self.login(self.alice)  # every letter in the batch is hers, as in a solo practice
        with time_machine.travel(when, tick=False):
            page = self.client.get("/")
        self.assertContains(page, "Letters to print and post")
        self.assertContains(page, "Mark the batch posted")
        r = self.client.post(f"/inbox/letters/{batch.pk}/posted/", {"slot": "letters"}, **HX)
        self.assertContains(r, "1 letter marked posted")
        letter.refresh_from_db()
        self.assertEqual(letter.status, "posted")

    def test_a_clinician_cannot_post_a_batch_holding_a_colleagues_letters(self):
        from stillhere.outreach.tests.helpers import consent_everything

        consent_everything(self.ben)
        miss(self.ben)
        tick(DAY1)
        for client in (self.ana, self.ben):
            client.consent_email = False
            client.save()
        OutreachStep.objects.filter(key="message").update(channel="letter")
        OutreachStep.objects.filter(status="to_call").update(status="logged")
        when = DAY1 + td(days=4, hours=1)
        tick(when)
        OutreachStep.objects.filter(status="awaiting_approval").update(status="approved")
        tick(when)
        batch = PrintBatch.objects.get(status="open")
        self.assertEqual(batch.letters.count(), 2)
        self.login(self.alice)
        r = self.client.post(f"/inbox/letters/{batch.pk}/posted/", {"slot": "letters"}, **HX)
        self.assertContains(r, "other clinicians")
        r = self.client.post("/outreach/letters/", {"batch": batch.pk}, follow=True)
        self.assertContains(r, "a director or the practice admin marks it posted")
        batch.refresh_from_db()
        self.assertEqual(batch.status, "open")
        self.assertEqual(OutreachStep.objects.filter(status="to_print").count(), 2)
        self.login(self.dora)
        r = self.client.post(f"/inbox/letters/{batch.pk}/posted/", {"slot": "letters"}, **HX)
        self.assertContains(r, "2 letters marked posted")


class RiskReviewTestCase(OutreachTestCase):
    def setUp(self):
        super().setUp()
        change_state(self.episode, "watch", "cancel_no_rebook", detail="Cancelled on 10 Jan and has not rebooked")

    def test_a_reviewed_risk_leaves_the_inbox_until_something_changes(self):
        from django.utils import timezone

        self.login(self.alice)
        page = self.client.get("/")
        self.assertContains(page, "Seen — I'll raise it")
        r = self.client.post(f"/inbox/episodes/{self.episode.pk}/review/",
                             {"slot": "r", "reason": "Cancelled on 10 Jan and has not rebooked",
                              "note": "Ask about work hours"}, **HX)
        self.assertContains(r, "noted")
        self.assertEqual(RiskReview.objects.get().note, "Ask about work hours")
        page = self.client.get(f"/clients/{self.ana.code}/")
        self.assertContains(page, "Risk reviews")
        self.assertContains(page, "Ask about work hours")
        self.assertNotContains(self.client.get("/"), "At risk of leaving")
        # A new state is something new: the item comes back.
        self.episode.refresh_from_db()
        change_state(self.episode, "missed", "no_show", detail="No-show on 20 Jan, no word since",
                     at=timezone.now())
        self.assertContains(self.client.get("/"), "No-show on 20 Jan")

    def test_a_review_holds_for_two_weeks_at_most(self):
        from django.utils import timezone

        self.login(self.alice)
        self.client.post(f"/inbox/episodes/{self.episode.pk}/review/",
                         {"reason": "Cancelled on 10 Jan and has not rebooked"})
        with time_machine.travel(timezone.now() + td(days=15)):
            self.login(self.alice)  # the session itself has expired by then
            self.assertContains(self.client.get("/"), "Seen — I'll raise it")

    def test_only_the_clinician_or_director_reviews(self):
        url = f"/inbox/episodes/{self.episode.pk}/review/"
        for member in (self.bob, self.cora, self.charlie):
            self.login(member)
            self.assertEqual(self.client.post(url).status_code, 404)
        self.login(self.adam)
        self.assertEqual(self.client.post(url).status_code, 403)
        self.assertFalse(RiskReview.objects.exists())
        self.login(self.dora)
        self.client.post(url)
        self.assertEqual(RiskReview.objects.get().reason, "Cancelled on 10 Jan and has not rebooked")
        self.assertTrue(AuditEvent.objects.filter(verb="risk-reviewed", actor=self.dora.user).exists())


class LogReplyTestCase(OutreachTestCase):
    def test_a_reply_logged_on_the_client_page_stops_outreach_and_re_engages(self):
        miss(self.ana)
        tick(DAY1)
        self.login(self.alice)
        self.assertContains(self.client.get(f"/clients/{self.ana.code}/"), "Log a reply that came another way")
        r = self.client.post(f"/clients/{self.ana.code}/reply/", {"source": "letter", "text": "A card"}, follow=True)
        self.assertContains(r, "Reply logged")
        self.episode.refresh_from_db()
        self.assertEqual(self.episode.state, "re_engaged")
        self.assertFalse(OutreachStep.objects.filter(status__in=OutreachStep.PENDING).exists())
        self.assertContains(r, "Reply by letter or card")

    def test_a_reply_needs_its_source_and_others_get_a_404(self):
        self.login(self.alice)
        r = self.client.post(f"/clients/{self.ana.code}/reply/", {"text": "x"}, follow=True)
        self.assertContains(r, "Choose how the reply came.")
        for member in (self.bob, self.cora, self.charlie):
            self.login(member)
            self.assertEqual(self.client.post(f"/clients/{self.ana.code}/reply/", {"source": "call"}).status_code, 404)


class CheckinHeldTestCase(OutreachTestCase):
    def test_a_check_in_due_today_is_recorded_from_the_inbox(self):
        from datetime import datetime, timedelta, timezone

        from stillhere.clients.models import Appointment, SessionMarker

        Appointment.objects.filter(episode=self.episode).delete()
        for week in range(5):
            Appointment.objects.create(practice=self.riverside, episode=self.episode,
                                       start=datetime(2026, 2, 2, 10, tzinfo=timezone.utc) + timedelta(weeks=week),
                                       status="attended", session_number=week + 1)
        today = Appointment.objects.create(practice=self.riverside, episode=self.episode,
                                           start=datetime(2026, 3, 9, 15, tzinfo=timezone.utc))
        self.login(self.alice)
        with time_machine.travel(datetime(2026, 3, 9, 9, tzinfo=timezone.utc), tick=False):
            self.login(self.alice)
            page = self.client.get("/")
            self.assertContains(page, "Check-in held today")
            r = self.client.post(f"/inbox/clients/{self.ana.code}/checkin/", {"slot": "c"}, **HX)
        self.assertContains(r, "check-in recorded for today&#x27;s session")
        self.assertTrue(SessionMarker.objects.filter(appointment=today, kind="checkin").exists())
        self.assertTrue(AuditEvent.objects.filter(verb="checkin-held", client=self.ana).exists())

    def test_without_a_session_today_it_says_so(self):
        self.login(self.alice)
        r = self.client.post(f"/inbox/clients/{self.ana.code}/checkin/", {"slot": "c"}, **HX)
        self.assertContains(r, "There is no session today")
        self.assertNotIn("HX-Retarget", r)
