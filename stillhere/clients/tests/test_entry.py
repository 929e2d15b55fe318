"""Manual entry through the import's Writer: states follow at once."""

from datetime import date, datetime, timedelta, timezone as dt_tz

import time_machine

from stillhere.audit.models import AuditEvent
from stillhere.clients.models import Appointment, Client, Episode
from stillhere.engagement.models import PlannedBreak
from stillhere.test import BaseTestCase, clients_named

NOW = datetime(2026, 3, 10, 12, tzinfo=dt_tz.utc)
CLIENT = {"first_name": "Zoë", "last_name": "Marsh", "preferred_name": "", "email": "zoe@example.org",
          "consent_email": "on", "phone": "+447700900123", "consent_sms": "on", "safety_concern": "",
          "style_flags": ["avoidant"], "emergency_name": "Sam Marsh", "emergency_relationship": "brother",
          "emergency_phone": "+447700900999", "emergency_consent": "on"}


class EntryTestCase(BaseTestCase):
    def setUp(self):
        self.travel = time_machine.travel(NOW, tick=False)
        self.travel.start()
        self.addCleanup(self.travel.stop)

    def add_zoe(self, member=None):
        self.login(member or self.alice)
        r = self.client.post("/clients/new/", CLIENT | {"clinician": self.alice.pk})
        self.assertEqual(r.status_code, 302, r.content.decode()[-3000:])
        [zoe] = clients_named("Zoë")
        return zoe

    def test_a_clinician_adds_a_client_with_consents_style_and_emergency_contact(self):
        zoe = self.add_zoe()
        self.assertEqual(zoe.consented_channels(), ["email", "sms"])
        self.assertEqual(zoe.style_flags, ["avoidant"])
        self.assertEqual((zoe.emergency_name, zoe.emergency_consent), ("Sam Marsh", True))
        self.assertEqual(zoe.episodes.get().clinician, self.alice)
        event = AuditEvent.objects.get(verb="client-saved")
        self.assertTrue(event.data["created"])
        self.assertNotIn("Zoë", str(event.data))
        r = self.client.get(f"/clients/{zoe.code}/")
        self.assertContains(r, "Avoidant")

    def test_consent_without_the_contact_detail_is_explained(self):
        self.login(self.alice)
        r = self.client.post("/clients/new/", CLIENT | {"clinician": self.alice.pk, "email": ""})
        self.assertContains(r, "Add an email address, or untick “Agreed to email”")
        self.assertFalse(clients_named("Zoë"))

    def test_a_clinician_cannot_give_a_client_to_a_colleague(self):
        self.login(self.alice)
        r = self.client.post("/clients/new/", CLIENT | {"clinician": self.bob.pk})
        self.assertContains(r, "Select a valid choice")

    def test_booking_three_sessions_then_a_no_show_makes_the_client_missed_at_once(self):
        zoe = self.add_zoe()
        for days in (-14, -7, -3):
            day = (NOW + timedelta(days=days)).date()
            r = self.client.post(f"/clients/{zoe.code}/book/", {"day": day.isoformat(), "at": "10:00",
                                                                "duration_min": "50"})
            self.assertEqual(r.status_code, 302)
        appts = list(Appointment.objects.filter(episode__client=zoe).order_by("start"))
        self.assertEqual(len(appts), 3)
        self.assertEqual(appts[0].external_id[:7], "manual:")
        self.client.post(f"/clients/{zoe.code}/sessions/{appts[0].pk}/", {"action": "outcome",
                                                                           "outcome": "late", "minutes_late": "20"})
        self.client.post(f"/clients/{zoe.code}/sessions/{appts[1].pk}/", {"action": "outcome",
                                                                           "outcome": "attended"})
        r = self.client.post(f"/clients/{zoe.code}/sessions/{appts[2].pk}/", {"action": "outcome",
                                                                               "outcome": "no_show"})
        self.assertRedirects(r, f"/clients/{zoe.code}/")
        appts[0].refresh_from_db()
        self.assertEqual((appts[0].status, appts[0].minutes_late, appts[0].session_number), ("attended", 20, 1))
        self.assertEqual(zoe.episodes.get().state, Episode.State.MISSED)
        inbox = self.client.get("/")
        self.assertContains(inbox, "Zoë Marsh")
        verbs = list(AuditEvent.objects.filter(verb="appointment-saved").order_by("id")
                     .values_list("data__action", flat=True))
        self.assertEqual(verbs, ["booked", "booked", "booked", "outcome", "outcome", "outcome"])
        self.assertIsNone(appts[0].booked_at)  # typed in afterwards: when it was booked is not known

        # An hour later she rings and books again: the miss is answered at once.
        with time_machine.travel(NOW + timedelta(hours=1), tick=False):
            self.client.post(f"/clients/{zoe.code}/book/", {"day": "2026-03-17", "at": "10:00", "duration_min": "50"})
        self.assertNotEqual(zoe.episodes.get().state, Episode.State.MISSED)

    def test_a_future_session_cannot_be_a_no_show_but_can_be_moved_or_cancelled(self):
        zoe = self.add_zoe()
        day = (NOW + timedelta(days=3)).date()
        self.client.post(f"/clients/{zoe.code}/book/", {"day": day.isoformat(), "at": "09:00", "duration_min": "50"})
        appt = Appointment.objects.get(episode__client=zoe)
        r = self.client.post(f"/clients/{zoe.code}/sessions/{appt.pk}/", {"action": "outcome", "outcome": "no_show"})
        self.assertContains(r, "has not happened yet")
        r = self.client.post(f"/clients/{zoe.code}/sessions/{appt.pk}/",
                             {"action": "move", "day": (day + timedelta(days=1)).isoformat(), "at": "11:30"})
        appt.refresh_from_db()
        self.assertEqual(appt.start, datetime(2026, 3, 14, 11, 30, tzinfo=dt_tz.utc))  # London is on UTC
        self.client.post(f"/clients/{zoe.code}/sessions/{appt.pk}/", {"action": "outcome", "outcome": "late_cancel"})
        appt.refresh_from_db()
        self.assertEqual(appt.status, "late_cancel")
        self.assertIsNotNone(appt.cancelled_at)

    def test_a_planned_break_is_recorded(self):
        zoe = self.add_zoe()
        r = self.client.post(f"/clients/{zoe.code}/break/", {"starts": "2026-03-11", "ends": "2026-03-01"})
        self.assertContains(r, "must end on or after")
        r = self.client.post(f"/clients/{zoe.code}/break/", {"starts": "2026-03-11", "ends": "2026-04-01",
                                                            "reason": "travelling"})
        self.assertRedirects(r, f"/clients/{zoe.code}/")
        self.assertEqual(PlannedBreak.objects.get().ends, date(2026, 4, 1))
        self.assertEqual(AuditEvent.objects.get(verb="break-recorded").data, {"days": 22})

    def test_editing_a_client_names_the_fields_changed(self):
        self.login(self.alice)
        r = self.client.get(f"/clients/{self.ana.code}/edit/")
        self.assertContains(r, 'value="Ana"')
        data = {"first_name": "Ana", "last_name": "Abbott", "email": "r-001@example.org", "phone": "+15555550100",
                "safety_concern": "on", "safety_note": "said things were very hard"}
        r = self.client.post(f"/clients/{self.ana.code}/edit/", data)
        self.assertRedirects(r, f"/clients/{self.ana.code}/")
        self.ana.refresh_from_db()
        self.assertTrue(self.ana.safety_concern)
        self.assertEqual(AuditEvent.objects.get(verb="client-saved").data,
                         {"created": False, "fields": ["safety_concern", "safety_note"]})

    def test_nobody_else_reaches_another_clinicians_client_or_session(self):
        self.login(self.bob)
        appt = Appointment.objects.filter(episode__client=self.ana).first()
        self.assertEqual(self.client.get(f"/clients/{self.ana.code}/edit/").status_code, 404)
        self.assertEqual(self.client.get(f"/clients/{self.ana.code}/sessions/{appt.pk}/").status_code, 404)
        self.login(self.cora)
        self.assertEqual(self.client.get("/clients/new/").status_code, 404)
