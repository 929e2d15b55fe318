from django.core.exceptions import ValidationError

from stillhere.outreach.models import DailyCount, OutreachSettings, OutreachStep
from stillhere.outreach.policies import DEFAULT_PLAN, plan_for, save_policy, validate_plan

from .helpers import DAY1, OutreachTestCase, datetime, miss, td, tick, tz


class PacingTestCase(OutreachTestCase):
    def ready(self, auto=("message",)):
        OutreachSettings.objects.update_or_create(practice=self.riverside, defaults={"auto_send": list(auto)})
        miss(self.ana)
        tick(DAY1)

    def test_it_holds_a_step_due_in_quiet_hours_until_morning(self):
        self.ready()
        late = datetime(2026, 1, 19, 21, 30, tzinfo=tz.utc)  # 21:30 in London
        OutreachStep.objects.filter(key="message").update(due=late)
        tick(late)
        step = self.step("message")
        self.assertEqual((step.status, step.due), ("approved", datetime(2026, 1, 20, 9, tzinfo=tz.utc)))
        tick(datetime(2026, 1, 20, 9, tzinfo=tz.utc))
        self.assertEqual(self.step("message").status, "sent")

    def test_a_full_day_moves_the_step_to_tomorrow_rather_than_dropping_it(self):
        self.ready()
        now = DAY1 + td(days=4)
        OutreachSettings.objects.filter(practice=self.riverside).update(daily_cap=1)
        DailyCount.objects.create(practice=self.riverside, day=now.date(), count=1)
        tick(now)
        step = self.step("message")
        self.assertEqual(step.status, "approved")
        self.assertEqual(step.due.date(), (now + td(days=1)).date())

    def test_two_contacts_the_same_day_are_spaced_out(self):
        self.ready()
        OutreachStep.objects.filter(key="message").update(due=DAY1 + td(hours=2))
        tick(DAY1 + td(hours=2))
        step = self.step("message")
        self.assertEqual(step.status, "approved")
        self.assertEqual(step.due, DAY1 + td(hours=20))


class PolicyTestCase(OutreachTestCase):
    def test_the_most_specific_policy_wins(self):
        practice_plan = [{"key": "call", "days": 0, "channels": ["call"], "template": "first_call"}]
        alice_plan = [{"key": "message", "days": 0, "channels": ["sms"], "template": "checking_in"}]
        ana_plan = [{"key": "letter", "days": 2, "channels": ["letter"], "template": "invitation"}]
        self.assertEqual(plan_for(self.episode), DEFAULT_PLAN)
        save_policy(self.riverside, practice_plan)
        self.assertEqual(plan_for(self.episode), practice_plan)
        save_policy(self.riverside, alice_plan, clinician=self.alice)
        self.assertEqual(plan_for(self.episode), alice_plan)
        save_policy(self.riverside, ana_plan, client=self.ana)
        self.assertEqual(plan_for(self.episode), ana_plan)
        self.assertEqual(plan_for(self.ben.episodes.get()), practice_plan)

    def test_a_bad_policy_names_the_step_and_field(self):
        with self.assertRaisesMessage(ValidationError, "step 2 (letter): 'channels' must list"):
            validate_plan([DEFAULT_PLAN[0], {"key": "letter", "days": 3, "channels": ["pigeon"], "template": "x"}])
        with self.assertRaisesMessage(ValidationError, "must be in order of days"):
            validate_plan([DEFAULT_PLAN[1], DEFAULT_PLAN[0]])
