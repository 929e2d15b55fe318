"""Settings pages: directors and admins only, validated in words, audited."""

from stillhere.audit.models import AuditEvent
from stillhere.measures.custom import config_for
from stillhere.outreach.models import CadencePolicy, OutreachSettings
from stillhere.outreach.policies import plan_for
from stillhere.test import BaseTestCase

PRACTICE = {"name": "Riverside Practice", "sender_name": "Riverside", "return_address": "Riverside\n1 High St",
            "practice_phone": "01632 960 000", "how_to_reach": "call 01632 960 000", "timezone": "Europe/London",
            "public_url": "https://care.riverside.example", "booking_url": "", "crisis_line": "Call 999."}


def step(n, kind, days, first, template, second="", auto=False):
    d = {f"step-{n}-kind": kind, f"step-{n}-days": str(days), f"step-{n}-first": first,
         f"step-{n}-second": second, f"step-{n}-third": "", f"step-{n}-template": template}
    if auto:
        d[f"step-{n}-auto"] = "on"
    return d


def plan_post(*steps, initial=0):
    data = {"step-TOTAL_FORMS": str(len(steps)), "step-INITIAL_FORMS": str(initial),
            "step-MIN_NUM_FORMS": "0", "step-MAX_NUM_FORMS": "12"}
    for s in steps:
        data.update(s)
    return data


class SettingsAccessTestCase(BaseTestCase):
    def test_clinicians_and_consultants_are_refused_in_words(self):
        for member in (self.alice, self.cora):
            self.login(member)
            for url in ("/settings/", "/settings/practice/", "/settings/outreach/plan/", "/settings/people/"):
                r = self.client.get(url)
                self.assertContains(r, "This page is not open to you", status_code=403)

    def test_directors_and_admins_see_every_page_with_a_sentence_on_what_it_does(self):
        for member in (self.dora, self.adam):
            self.login(member)
            for url in ("/settings/", "/settings/practice/", "/settings/engagement/", "/settings/outreach/",
                        "/settings/outreach/plan/", "/settings/measures/", "/settings/wording/",
                        "/settings/people/"):
                r = self.client.get(url)
                self.assertEqual(r.status_code, 200, url)
                if url != "/settings/":
                    self.assertContains(r, 'class="explain"')


class PracticeSettingsTestCase(BaseTestCase):
    def test_saving_the_practice_changes_it_and_audits_old_and_new(self):
        self.login(self.dora)
        r = self.client.post("/settings/practice/", PRACTICE)
        self.assertRedirects(r, "/settings/practice/")
        prefs = OutreachSettings.for_practice(self.riverside)
        self.assertEqual((prefs.sender_name, prefs.practice_phone), ("Riverside", "01632 960 000"))
        event = AuditEvent.objects.get(verb="settings-changed")
        self.assertEqual(event.data["section"], "practice")
        self.assertEqual(event.data["changes"]["sender_name"], ["", "Riverside"])
        self.assertNotIn("name", event.data["changes"])  # unchanged fields are not listed

    def test_a_sender_name_that_says_therapy_is_refused_and_nothing_changes(self):
        self.login(self.dora)
        r = self.client.post("/settings/practice/", PRACTICE | {"sender_name": "Riverside Therapy"})
        self.assertContains(r, "must not say “therapy”")
        self.assertEqual(OutreachSettings.for_practice(self.riverside).sender_name, "")
        self.assertFalse(AuditEvent.objects.filter(verb="settings-changed").exists())

    def test_a_bad_time_zone_and_address_get_clear_errors(self):
        self.login(self.dora)
        r = self.client.post("/settings/practice/", PRACTICE | {"timezone": "Mars/Olympus", "public_url": "not a url"})
        self.assertContains(r, "Select a valid choice")
        self.assertContains(r, "Enter a valid URL")


class EngagementAndOutreachTestCase(BaseTestCase):
    def test_waiting_period_out_of_range_is_explained(self):
        self.login(self.dora)
        r = self.client.post("/settings/engagement/", {"waiting_days": "10", "lapse_factor": "2"})
        self.assertContains(r, "less than or equal to 7")
        r = self.client.post("/settings/engagement/", {"waiting_days": "5", "lapse_factor": "2.5"})
        self.assertRedirects(r, "/settings/engagement/")
        self.riverside.refresh_from_db()
        self.assertEqual((self.riverside.waiting_days, self.riverside.lapse_factor), (5, 2.5))
        self.assertEqual(AuditEvent.objects.get(verb="settings-changed").data["changes"]["waiting_days"], [3, 5])

    def test_quiet_hours_need_an_end(self):
        self.login(self.adam)
        data = {"quiet_start": "21:00", "quiet_end": "21:00", "min_gap_hours": "20", "daily_cap": "200",
                "link_days": "30", "safety_escalate_at": "17:00"}
        self.assertContains(self.client.post("/settings/outreach/", data), "end different from their start")
        r = self.client.post("/settings/outreach/", data | {"quiet_end": "08:30"})
        self.assertRedirects(r, "/settings/outreach/")
        self.assertEqual(str(OutreachSettings.for_practice(self.riverside).quiet_end), "08:30:00")


class PlanTestCase(BaseTestCase):
    def test_the_practice_plan_is_saved_in_order_of_days_with_automatic_steps(self):
        self.login(self.dora)
        r = self.client.post("/settings/outreach/plan/", plan_post(
            step(0, "message", 5, "email", "checking_in", second="sms", auto=True),
            step(1, "call", 0, "call", "first_call"),
            step(2, "closing", 20, "letter", "closing")))
        self.assertEqual(r.status_code, 302, r.content.decode()[-2000:])
        episode = self.ana.episodes.get()
        self.assertEqual([(s["key"], s["days"], s["channels"]) for s in plan_for(episode)],
                         [("call", 0, ["call"]), ("message", 5, ["email", "sms"]), ("closing", 20, ["letter"])])
        self.assertEqual(OutreachSettings.for_practice(self.riverside).auto_send, ["message"])
        self.assertTrue(AuditEvent.objects.filter(verb="settings-changed", data__section="outreach-plan").exists())

    def test_wording_that_does_not_exist_for_a_channel_is_named(self):
        self.login(self.dora)
        r = self.client.post("/settings/outreach/plan/", plan_post(step(0, "message", 2, "call", "checking_in")))
        self.assertContains(r, "“Checking in” has no wording for a phone call yet")
        self.assertFalse(CadencePolicy.objects.exists())

    def test_a_closing_message_must_come_last(self):
        self.login(self.dora)
        r = self.client.post("/settings/outreach/plan/", plan_post(
            step(0, "closing", 3, "email", "closing"), step(1, "message", 9, "email", "checking_in")))
        self.assertContains(r, "closing message must be the last step")

    def test_a_clinician_and_a_client_can_have_their_own_plan(self):
        self.login(self.dora)
        r = self.client.post(f"/settings/outreach/plan/clinician/{self.alice.pk}/",
                             plan_post(step(0, "call", 1, "call", "first_call")))
        self.assertEqual(r.status_code, 302)
        self.assertEqual(plan_for(self.ana.episodes.get())[0]["days"], 1)
        r = self.client.post(f"/settings/outreach/plan/client/{self.ana.code}/",
                             plan_post(step(0, "message", 2, "email", "checking_in")))
        self.assertEqual(plan_for(self.ana.episodes.get())[0]["key"], "message")
        self.client.post(f"/settings/outreach/plan/client/{self.ana.code}/", {"reset": "1", **plan_post()})
        self.assertEqual(plan_for(self.ana.episodes.get())[0]["days"], 1)
        self.assertEqual(self.client.get(f"/settings/outreach/plan/clinician/{self.dora.pk}/").status_code, 404)


class MeasuresSettingsTestCase(BaseTestCase):
    def test_thresholds_and_check_in_interval_are_saved_into_the_settings_file(self):
        self.login(self.dora)
        data = {"form": "thresholds", "every_sessions": "3", "alliance_drop": "2", "alliance_baseline_drop": "2",
                "baseline_ratings": "3", "not_on_track_after": "6", "plateau_ratings": "4"}
        r = self.client.post("/settings/measures/", data)
        self.assertRedirects(r, "/settings/measures/")
        cfg = config_for(self.riverside)
        self.assertEqual((cfg.checkin_every, cfg.alerts.alliance_drop), (3, 2.0))
        changes = AuditEvent.objects.get(verb="settings-changed").data["changes"]
        self.assertEqual(changes["every_sessions"], [4, 3])

    def test_a_broken_settings_file_is_refused_with_where_and_why(self):
        self.login(self.dora)
        r = self.client.post("/settings/measures/", {"form": "file", "toml": "[checkins]\nevery_sessions = 0\n"})
        self.assertContains(r, "every_sessions")
        self.assertEqual(config_for(self.riverside).checkin_every, 4)


class FirstRunTestCase(BaseTestCase):
    @classmethod
    def setUpTestData(cls):
        pass  # an empty database

    def test_an_empty_database_offers_set_up_and_it_makes_a_director(self):
        self.assertContains(self.client.get("/login/"), "Set up your practice")
        r = self.client.post("/setup/", {"practice": "Harbour Practice", "timezone": "Europe/London",
                                         "name": "Dee Director", "email": "dee@example.org", "password": "short"})
        self.assertContains(r, "too short")
        r = self.client.post("/setup/", {"practice": "Harbour Practice", "timezone": "Europe/London",
                                         "name": "Dee Director", "email": "dee@example.org",
                                         "password": "a long river at dusk"})
        # A director sets up the second step at sign-in before any page (stillhere/accounts/twostep.py).
        self.assertRedirects(r, "/settings/practice/", target_status_code=302)
        self.assertRedirects(self.client.get("/settings/practice/"), "/account/two-step/?next=%2Fsettings%2Fpractice%2F")
        from stillhere.accounts.models import Membership

        m = Membership.objects.get()
        self.assertEqual((m.practice.name, m.role, m.user.username), ("Harbour Practice", "director", "dee@example.org"))
        self.client.logout()
        self.assertEqual(self.client.get("/setup/").status_code, 404)
        self.assertNotContains(self.client.get("/login/"), "Set up your practice")


class PlanBlankRowTestCase(BaseTestCase):
    def test_the_empty_new_contact_row_with_its_menus_left_alone_is_ignored(self):
        self.login(self.dora)
        data = plan_post(step(0, "call", 0, "call", "first_call"), step(1, "message", 4, "email", "checking_in"),
                         step(2, "letter", 11, "letter", "invitation"), step(3, "closing", 25, "letter", "closing"),
                         step(4, "call", "", "call", "first_call"), initial=4)
        r = self.client.post("/settings/outreach/plan/", data)
        self.assertEqual(r.status_code, 302)
        self.assertEqual(len(plan_for(self.ana.episodes.get())), 4)
