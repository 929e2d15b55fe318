from stillhere.audit.models import AuditEvent

from .helpers import DAY1, OutreachTestCase, miss, td, tick


class StepPageTestCase(OutreachTestCase):
    def setUp(self):
        super().setUp()
        miss(self.ana)
        tick(DAY1)
        tick(DAY1 + td(days=4))
        self.message = self.step("message")
        self.url = f"/outreach/steps/{self.message.code}/"

    def test_the_clinician_sees_the_draft_with_its_tone_findings_and_the_view_is_audited(self):
        self.login(self.alice)
        r = self.client.get(self.url)
        self.assertContains(r, "Hi Ana")
        self.assertContains(r, "Approve")
        self.assertEqual(AuditEvent.objects.filter(verb="outreach-step-viewed").count(), 1)

    def test_other_clinicians_consultants_and_other_practices_get_a_404(self):
        for member in (self.bob, self.cora, self.charlie):
            self.login(member)
            self.assertEqual(self.client.get(self.url).status_code, 404, member)

    def test_the_director_may_see_and_the_admin_may_see_but_not_approve(self):
        self.login(self.dora)
        self.assertContains(self.client.get(self.url), "Approve")
        self.login(self.adam)
        r = self.client.post(self.url, {"action": "approve", "body": self.message.body, "subject": "Hi"})
        self.assertEqual(r.status_code, 403)
        self.assertEqual(self.step("message").status, "awaiting_approval")

    def test_an_edit_that_adds_pressure_is_refused_with_the_reason(self):
        self.login(self.alice)
        r = self.client.post(self.url, {"action": "approve", "subject": "Checking in",
                                        "body": "You must call me as soon as possible."}, follow=True)
        self.assertContains(r, "sounds like pressure")
        self.assertEqual(self.step("message").status, "awaiting_approval")

    def test_approving_an_edited_draft_keeps_the_edit(self):
        self.login(self.alice)
        body = self.message.body.replace("I wanted to check in", "I wanted to say hello")
        self.client.post(self.url, {"action": "approve", "subject": "Hello", "body": body})
        step = self.step("message")
        self.assertEqual((step.status, step.subject), ("approved", "Hello"))
        self.assertIn("say hello", step.body)

    def test_the_client_page_shows_outreach_on_the_timeline(self):
        self.login(self.alice)
        r = self.client.get(f"/clients/{self.ana.code}/")
        self.assertContains(r, "Outreach")
        self.assertContains(r, "Phone call")
        self.assertContains(r, "Awaiting approval")

    def test_the_tone_check_endpoint_explains_findings_for_the_composer(self):
        self.login(self.alice)
        r = self.client.post("/outreach/tone-check/", {"channel": "sms", "body": "Your therapy session is due"})
        self.assertContains(r, "must not reveal therapy")
        self.assertContains(r, "no way to get in touch")

    def test_a_practice_template_with_problems_is_not_saved(self):
        self.login(self.dora)
        r = self.client.post("/outreach/templates/checking_in/sms/", {"body": "Hi {{ nmae }}, you missed your session."})
        self.assertContains(r, "not a variable we can fill in")
        self.assertContains(r, "can read as blame")
        from stillhere.outreach.models import MessageTemplate

        self.assertEqual(MessageTemplate.objects.count(), 0)
        self.login(self.alice)
        self.assertEqual(self.client.get("/outreach/templates/checking_in/sms/").status_code, 404)
