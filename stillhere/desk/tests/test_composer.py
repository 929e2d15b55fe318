"""The composer: a draft from the template, the tone check and the channel's
limits as you type, a letter preview, and decisions that lose nothing."""

from io import BytesIO

from pypdf import PdfReader

from stillhere.audit.models import AuditEvent
from stillhere.desk.composer import meter, sms_segments
from stillhere.outreach.models import OutreachStep
from stillhere.outreach.tests.helpers import DAY1, OutreachTestCase, miss, td, tick

HX = {"HTTP_HX_REQUEST": "true"}


def test_plain_texts_fit_160_characters_and_a_curly_apostrophe_makes_them_unicode():
    assert sms_segments("a" * 160) == (1, 160, "")
    assert sms_segments("a" * 161) == (2, 153, "")
    segments, per, odd = sms_segments("It’s " + "a" * 80)
    assert (segments, per, odd) == (2, 67, "’")
    assert sms_segments("€" * 80)[0] == 1 and sms_segments("€" * 81)[0] == 2  # each euro sign takes two places


def test_the_meter_says_how_long_a_voicemail_takes_to_say():
    m = meter(" ".join(["word"] * 75), "call")
    assert m.summary == "75 of 90 words · about 30 seconds spoken"
    assert not m.over
    assert meter(" ".join(["word"] * 91), "call").over


class ComposerTestCase(OutreachTestCase):
    def setUp(self):
        super().setUp()
        miss(self.ana)
        tick(DAY1)
        tick(DAY1 + td(days=3, hours=1))
        self.message = self.step("message")
        self.url = f"/compose/{self.message.code}/"

    def test_the_composer_shows_the_draft_the_findings_and_the_length(self):
        self.login(self.alice)
        r = self.client.get(self.url)
        self.assertContains(r, "Hi Ana")
        self.assertContains(r, "of 220 words")
        self.assertContains(r, "Tone check")
        self.assertTrue(AuditEvent.objects.filter(verb="outreach-step-viewed", client=self.ana).exists())

    def test_findings_come_back_as_the_clinician_types(self):
        self.login(self.alice)
        r = self.client.post(self.url + "check/", {"body": "You must reply as soon as possible.", "subject": "Hi"},
                             **HX)
        self.assertContains(r, "sounds like pressure")
        self.assertContains(r, "There is no open-door line")

    def test_a_text_shows_characters_and_how_many_texts_it_makes(self):
        OutreachStep.objects.filter(pk=self.message.pk).update(channel="sms")
        self.login(self.alice)
        r = self.client.post(self.url + "check/", {"body": "It’s Alice. " + "x" * 70}, **HX)
        self.assertContains(r, "82 of 320 characters · 2 texts (67 characters each, because of ’)")

    def test_a_refused_approval_keeps_the_words_typed(self):
        self.login(self.alice)
        words = "You must call me as soon as possible."
        r = self.client.post(self.url, {"action": "approve", "subject": "Hi", "body": words})
        self.assertEqual(r.status_code, 400)
        self.assertContains(r, "sounds like pressure", status_code=400)
        self.assertContains(r, words, status_code=400)
        self.assertEqual(self.step("message").status, "awaiting_approval")

    def test_an_edited_draft_is_approved_and_the_clinician_goes_back_to_the_inbox(self):
        self.login(self.alice)
        body = self.message.body.replace("Hi Ana", "Dear Ana")
        r = self.client.post(self.url, {"action": "approve", "subject": "Thinking of you", "body": body})
        self.assertRedirects(r, "/")
        step = self.step("message")
        self.assertEqual((step.status, step.subject), ("approved", "Thinking of you"))
        self.assertIn("Dear Ana", step.body)

    def test_starting_again_from_the_template_replaces_the_words_but_saves_nothing(self):
        OutreachStep.objects.filter(pk=self.message.pk).update(body="Something I wrote")
        self.login(self.alice)
        r = self.client.post(self.url + "template/", {"body": "Something I wrote"}, **HX)
        self.assertContains(r, "Hi Ana")
        self.assertContains(r, 'hx-swap-oob="true"')
        self.assertEqual(self.step("message").body, "Something I wrote")

    def test_a_letter_preview_is_the_pdf_with_the_words_as_typed(self):
        OutreachStep.objects.filter(pk=self.message.pk).update(channel="letter")
        self.login(self.alice)
        r = self.client.post(self.url + "preview.pdf", {"body": "Dear Ana,\nA line only this preview has."})
        self.assertEqual(r["Content-Type"], "application/pdf")
        text = PdfReader(BytesIO(r.content)).pages[0].extract_text()
        self.assertIn("A line only this preview has.", text)
        self.assertIn("4 Mill Lane", text)  # the address, where the envelope window shows it
        self.assertNotIn("A line only this preview has.", self.step("message").body)
        self.assertTrue(AuditEvent.objects.filter(verb="letter-previewed").exists())

    def test_the_composer_is_a_404_for_anyone_who_cannot_see_the_client(self):
        for member in (self.bob, self.cora, self.charlie):
            self.login(member)
            self.assertEqual(self.client.get(self.url).status_code, 404, member)
            self.assertEqual(self.client.post(self.url + "check/", {"body": "x"}).status_code, 404, member)
        self.login(self.adam)  # sees the client, may not decide on words
        self.assertNotContains(self.client.get(self.url), "Approve even with problems")
        r = self.client.post(self.url, {"action": "approve", "body": self.message.body, "subject": "x"})
        self.assertEqual(r.status_code, 403)
