from django.core import mail, signing
from django.test import override_settings

from stillhere.engagement.models import PlannedBreak
from stillhere.outreach import responses
from stillhere.outreach.models import Response

from .helpers import DAY1, OutreachTestCase, miss, td, tick


class ResponsePageTestCase(OutreachTestCase):
    def setUp(self):
        super().setUp()
        miss(self.ana)
        tick(DAY1)
        tick(DAY1 + td(days=4))
        self.message = self.step("message")
        self.url = f"/r/{responses.make_token(self.message)}/"

    def test_the_page_greets_the_client_without_any_clinical_content(self):
        r = self.client.get(self.url)
        self.assertContains(r, "Hello Ana")
        self.assertContains(r, "I&#x27;d like to book")
        for word in ("therapy", "session", "missed", "no-show", "Abbott"):
            self.assertNotContains(r, word)

    def test_booking_stops_outreach_re_engages_and_tells_the_clinician(self):
        r = self.client.post(self.url, {"choice": "book", "what_would_help": "Evening times"})
        self.assertContains(r, "Thank you")
        self.episode.refresh_from_db()
        self.assertEqual(self.episode.state, "re_engaged")
        self.message.refresh_from_db()
        self.assertEqual(self.message.status, "skipped")
        self.assertEqual(Response.objects.get().what_would_help, "Evening times")
        self.assertEqual(mail.outbox[-1].to, ["alice@example.org"])
        self.assertNotIn("Ana", mail.outbox[-1].body)

    def test_pausing_starts_a_planned_break(self):
        self.client.post(self.url, {"choice": "pause"})
        self.assertEqual(PlannedBreak.objects.get(episode=self.episode).reason, "The client asked to pause")

    def test_stopping_ends_the_episode_by_the_client_with_the_final_session_offer(self):
        r = self.client.post(self.url, {"choice": "stop", "wrap_up": "on"})
        self.assertContains(r, "one final meeting")
        self.episode.refresh_from_db()
        self.assertEqual((self.episode.state, self.episode.end_reason), ("ended_by_client", "by_client"))
        self.assertTrue(Response.objects.get().final_session)

    def test_a_replayed_link_changes_nothing(self):
        self.client.post(self.url, {"choice": "book"})
        r = self.client.post(self.url, {"choice": "stop"})
        self.assertEqual(r.status_code, 409)
        self.assertContains(r, "already have your answer", status_code=409)
        self.episode.refresh_from_db()
        self.assertEqual(self.episode.state, "re_engaged")

    def test_a_forged_token_is_refused_clearly(self):
        forged = signing.dumps(self.message.code.hex, salt=responses.SALT, key="not-our-key")
        r = self.client.post(f"/r/{forged}/", {"choice": "stop"})
        self.assertContains(r, "This link is not valid", status_code=400)
        self.assertEqual(Response.objects.count(), 0)

    def test_an_expired_token_is_refused_clearly(self):
        import time_machine

        with time_machine.travel(DAY1 - td(days=60)):
            old = responses.make_token(self.message)
        r = self.client.post(f"/r/{old}/", {"choice": "stop"})
        self.assertContains(r, "This link has expired", status_code=400)
        self.assertEqual(Response.objects.count(), 0)

    def test_an_oversized_answer_or_no_choice_is_refused_and_saves_nothing(self):
        r = self.client.post(self.url, {"choice": "book", "what_would_help": "x" * 5000})
        self.assertContains(r, "under 1000 characters", status_code=400)
        r = self.client.post(self.url, {"choice": "maybe"})
        self.assertContains(r, "choose one of the three", status_code=400)
        self.assertEqual(Response.objects.count(), 0)

    def test_a_post_without_its_csrf_cookie_says_nothing_was_saved(self):
        from django.test import Client

        browser = Client(enforce_csrf_checks=True)
        r = browser.post(self.url, {"choice": "book"})
        self.assertContains(r, "nothing was saved", status_code=403)
        self.assertContains(r, "reload the page", status_code=403)
        self.assertNotContains(r, "CSRF", status_code=403)
        self.assertEqual(Response.objects.count(), 0)

    def test_a_staff_form_refused_for_csrf_says_what_to_do(self):
        from django.test import Client

        browser = Client(enforce_csrf_checks=True)
        browser.force_login(self.alice.user)
        r = browser.post("/outreach/tone-check/", {"body": "hi"})
        self.assertContains(r, "Nothing was saved", status_code=403)
        self.assertNotContains(r, "CSRF verification", status_code=403)

    def test_opening_the_page_is_audited(self):
        from stillhere.audit.models import AuditEvent

        self.client.get(self.url)
        self.assertTrue(AuditEvent.objects.filter(verb="response-page-opened", client_id=self.ana.pk).exists())


class ResponseLinkBindingTestCase(OutreachTestCase):
    """An old link speaks only for its own sequence while that still stands."""

    def setUp(self):
        super().setUp()
        miss(self.ana)
        tick(DAY1)
        tick(DAY1 + td(days=4))
        self.message = self.step("message")
        self.url = f"/r/{responses.make_token(self.message)}/"

    def test_an_old_link_does_not_reopen_an_episode_ended_as_planned(self):
        from stillhere.engagement.overrides import override_state

        self.episode.refresh_from_db()
        self.assertTrue(override_state(self.alice, self.episode, "ended_planned", "We agreed to finish today"))
        r = self.client.get(self.url)
        self.assertContains(r, "can no longer be used", status_code=410)
        self.assertNotContains(r, "I&#x27;d like to book", status_code=410)
        r = self.client.post(self.url, {"choice": "book"})
        self.assertContains(r, "can no longer be used", status_code=409)
        self.episode.refresh_from_db()
        self.assertEqual(self.episode.state, "ended_planned")
        self.assertEqual(Response.objects.count(), 0)

    def test_a_stopped_sequences_link_does_not_override_a_later_answer(self):
        from stillhere.outreach.actions import log_reply

        log_reply(self.ana, "call", DAY1 + td(days=5), text="Called to say she will book")
        self.episode.refresh_from_db()
        self.assertEqual(self.episode.state, "re_engaged")
        r = self.client.post(self.url, {"choice": "stop"})
        self.assertContains(r, "can no longer be used", status_code=409)
        self.episode.refresh_from_db()
        self.assertEqual((self.episode.state, self.episode.ended), ("re_engaged", None))

    def test_a_newer_episode_makes_the_old_link_stale(self):
        from stillhere.clients.models import Episode

        Episode.objects.filter(pk=self.episode.pk).update(ended=DAY1.date(), end_reason="no_goodbye",
                                                          state="ended_no_goodbye")
        self.message.sequence.status = "completed"
        self.message.sequence.save()
        Episode.objects.create(practice=self.riverside, client=self.ana, clinician=self.alice,
                               started=(DAY1 + td(days=200)).date())
        r = self.client.post(self.url, {"choice": "book"})
        self.assertEqual(r.status_code, 409)
        self.assertEqual(Response.objects.count(), 0)
