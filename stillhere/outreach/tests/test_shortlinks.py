"""Short links: one per step (so one client), expiring, revocable, and a
kind page for a link that cannot be used."""

from datetime import timedelta as td

import time_machine
from django.utils import timezone

from stillhere.outreach import shortlinks
from stillhere.outreach.models import OutreachSettings, ShortLink

from .helpers import DAY1, OutreachTestCase, miss, tick


class ShortLinkTest(OutreachTestCase):
    def setUp(self):
        super().setUp()
        OutreachSettings.objects.create(practice=self.riverside, public_url="https://care.riverside.example/",
                                        practice_phone="01632 960 000")
        miss(self.ana)
        tick(DAY1)
        tick(DAY1 + td(days=4))
        self.step_ = self.step("message")
        self.link = ShortLink.objects.get(step=self.step_)

    def test_the_draft_carries_one_short_link_on_the_public_address(self):
        self.assertIn(f"https://care.riverside.example/l/{self.link.code}/", self.step_.body)
        self.assertEqual(shortlinks.link_for(self.step_), self.link)  # asked again: the same link
        self.assertEqual(self.link.client, self.ana)
        self.assertEqual(shortlinks.read(self.link.code.upper(), timezone.now()), self.step_)

    def test_it_expires_after_the_practices_link_days(self):
        with time_machine.travel(self.link.created + td(days=31), tick=False):
            page = self.client.get(f"/l/{self.link.code}/")
        self.assertEqual(page.status_code, 400)
        self.assertContains(page, "This link has expired", status_code=400)
        self.assertContains(page, 'href="tel:01632960000"', status_code=400)
        self.assertNotContains(page, "Ana", status_code=400)

    def test_a_revoked_link_says_so_kindly(self):
        self.assertTrue(shortlinks.revoke(self.step_, timezone.now()))
        page = self.client.get(f"/l/{self.link.code}/")
        self.assertContains(page, "This link is no longer in use", status_code=400)

    def test_a_mistyped_link_is_not_valid(self):
        for bad in ("abc", "0000000000", self.link.code[:-1] + ("2" if self.link.code[-1] != "2" else "3")):
            page = self.client.get(f"/l/{bad}/")
            self.assertContains(page, "This link is not valid", status_code=400)

    def test_the_admin_refuses_a_sender_name_that_says_therapy(self):
        from stillhere.outreach.admin import OutreachSettingsAdmin
        from django.contrib import admin

        form_class = OutreachSettingsAdmin(OutreachSettings, admin.site).get_form(None)
        prefs = OutreachSettings.objects.get(practice=self.riverside)
        data = {"sender_name": "Riverside Counselling", "link_days": 30, "quiet_start": "20:00",
                "quiet_end": "09:00", "daily_cap": 200, "min_gap_hours": 20, "auto_send": "[]",
                "safety_escalate_at": "17:00", "practice": self.riverside.pk}
        form = form_class(data, instance=prefs)
        self.assertFalse(form.is_valid())
        self.assertIn("must not say “counselling”", " ".join(form.errors["sender_name"]))
        data["sender_name"] = "Riverside"
        self.assertTrue(form_class(data, instance=prefs).is_valid(), form_class(data, instance=prefs).errors)
