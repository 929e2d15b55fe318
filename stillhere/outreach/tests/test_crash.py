"""A worker dying mid-step, and two workers at once: never twice, never lost."""

import os
import signal
import subprocess
import sys
import time
from unittest import skipUnless
from unittest.mock import patch

import psycopg
from django.core import mail
from django.db import connection
from django.test import TransactionTestCase

from stillhere.accounts.models import Practice
from stillhere.outreach import actions, sending
from stillhere.outreach.listing import rows
from stillhere.outreach.models import DailyCount, OutreachAttempt, OutreachSettings, OutreachStep, Sequence
from stillhere.test import make_client, make_member

from .helpers import DAY1, OutreachTestCase, miss, start_provider, td, tick

ON_POSTGRES = connection.vendor == "postgresql"


class CrashInProcessTestCase(OutreachTestCase):
    def message_approved(self):
        miss(self.ana)
        tick(DAY1)
        tick(DAY1 + td(days=4))
        self.approve_all()
        return DAY1 + td(days=4)

    def test_a_death_during_hand_off_leaves_an_uncertain_step_that_is_never_resent(self):
        now = self.message_approved()
        with patch("stillhere.channels.email.transport.Email.notify", side_effect=KeyboardInterrupt):
            with self.assertRaises(KeyboardInterrupt):
                tick(now)
        step = self.step("message")
        attempt = OutreachAttempt.objects.get(step=step)
        self.assertEqual((step.status, attempt.status), ("sending", "sending"))
        # Within the claim's lifetime nothing happens; the live worker may still be busy.
        tick(now + td(minutes=5))
        self.assertEqual(self.step("message").status, "sending")
        tick(now + td(minutes=11))
        step.refresh_from_db()
        self.assertEqual(step.status, "uncertain")
        self.assertEqual(OutreachAttempt.objects.filter(step__key="message").count(), 1)
        self.assertEqual(len(mail.outbox), 0)
        row = [r for r in rows(OutreachStep.objects.all(), now) if r["step"] == "message"][0]
        self.assertEqual(row["status_text"], "uncertain — check before retrying")
        self.assertEqual(row["provider_id"], attempt.provider_id)  # the Message-ID to look up
        with self.assertRaises(Exception):
            actions.retry(self.alice, step, now)  # not without checking first
        tick(now + td(days=1))
        self.assertEqual(OutreachAttempt.objects.filter(step__key="message").count(), 1)

    def test_a_death_after_the_claim_before_the_attempt_returns_the_step_to_the_queue(self):
        now = self.message_approved()
        # Pacing runs between the claim and the attempt, one step at a time
        # (not_now) or for a batch (take_places): the worker dies there.
        with patch("stillhere.outreach.sending.not_now", side_effect=KeyboardInterrupt), \
                patch("stillhere.outreach.batch.take_places", side_effect=KeyboardInterrupt):
            with self.assertRaises(KeyboardInterrupt):
                tick(now)
        self.assertEqual(self.step("message").status, "sending")
        self.assertEqual(OutreachAttempt.objects.filter(step__key="message").count(), 0)
        tick(now + td(minutes=11))
        self.assertEqual(self.step("message").status, "sent")
        self.assertEqual(len(mail.outbox), 1)

    def test_a_step_claimed_by_another_worker_is_not_sent_by_this_one(self):
        now = self.message_approved()
        step = self.step("message")
        OutreachStep.objects.filter(id=step.id).update(status="sending", claimed=now)  # the other worker
        self.assertIs(sending.handle_one_send(now), False)
        self.assertEqual(len(mail.outbox), 0)

    def test_a_lost_claim_never_writes_an_attempt(self):
        now = self.message_approved()
        step = self.step("message")
        import uuid

        OutreachStep.objects.filter(id=step.id).update(status="sending", claim=uuid.uuid4(), claimed=now)
        line = sending.send_claimed(step.id, uuid.uuid4(), now)
        self.assertIn("claim lost", line)
        self.assertEqual(OutreachAttempt.objects.filter(step=step).count(), 0)


def tick_process(db_name, url, as_of):
    env = {k: v for k, v in os.environ.items() if k not in ("TEST_DB_NAME",)}
    # Batches of 5, so two workers racing over 30 steps each get a share.
    env.update(DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{db_name}", SMS_PROVIDER="twilio",
               STILLHERE_TICK_BATCH="5",
               TWILIO_ACCOUNT="AC123", TWILIO_AUTH="secret-token", TWILIO_FROM="+15555550199", TWILIO_API_URL=url)
    return subprocess.Popen([sys.executable, "-m", "stillhere.cli", "tick", "--as-of", as_of.isoformat()],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@skipUnless(ON_POSTGRES, "real worker processes need a shared PostgreSQL database")
class RealWorkersTestCase(TransactionTestCase):
    """Real `stillhere tick` processes against the test database.

    TransactionTestCase, because other processes must see committed rows."""

    N = 30

    def setUp(self):
        self.practice = Practice.objects.create(name="Riverside Practice", slug="riverside", timezone="Europe/London")
        OutreachSettings.objects.create(practice=self.practice, daily_cap=1000)
        alice = make_member(self.practice, "alice", "clinician")
        self.now = DAY1 + td(days=4)
        for i in range(self.N):
            client = make_client(self.practice, alice, f"c-{i:03d}", "Client", f"N{i}", consent_sms=True)
            client.phone = f"+1555555{i:04d}"
            client.save()
            ep = client.episodes.get()
            ep.state = "missed"
            ep.save()
            seq = Sequence.objects.create(practice=self.practice, client=client, episode=ep, anchor=DAY1,
                                          started=DAY1)
            OutreachStep.objects.create(sequence=seq, practice=self.practice, client=client, episode=ep,
                                        position=0, key="message", template="checking_in", channel="sms",
                                        due=self.now, status="approved",
                                        body=f"Hi {i}, just checking in. The door is open: reply any time.")
        self.db = connection.settings_dict["NAME"]

    def test_two_workers_racing_send_every_step_exactly_once(self):
        srv = start_provider()
        workers = [tick_process(self.db, srv.url, self.now) for _ in range(2)]
        outs = [w.communicate(timeout=120) for w in workers]
        srv.shutdown()
        self.assertEqual([w.returncode for w in workers], [0, 0], outs)
        bodies = [r["form"]["Body"] for r in srv.requests]
        self.assertEqual(len(bodies), self.N)
        self.assertEqual(len(set(bodies)), self.N)
        self.assertEqual(OutreachStep.objects.filter(status="sent").count(), self.N)
        self.assertEqual(OutreachAttempt.objects.count(), self.N)
        self.assertEqual(DailyCount.objects.get().count, self.N)
        # Both workers did some of the work (the race was real), neither did it twice.
        self.assertTrue(all(b"OK in" in out for out, _ in outs), outs)

    def test_a_worker_killed_while_the_provider_holds_the_text_leaves_it_uncertain(self):
        OutreachStep.objects.exclude(client__external_id="c-000").delete()
        srv = start_provider()
        srv.stall.set()
        worker = tick_process(self.db, srv.url, self.now)
        self.assertTrue(srv.stall_reached.wait(60))
        worker.send_signal(signal.SIGKILL)
        worker.wait(30)
        srv.release.set()
        step = OutreachStep.objects.get()
        self.assertEqual(step.status, "sending")
        self.assertIs(sending.handle_one_stale(self.now + td(minutes=5)), False)
        self.assertTrue(sending.handle_one_stale(self.now + td(minutes=11)))
        step.refresh_from_db()
        self.assertEqual(step.status, "uncertain")
        again = tick_process(self.db, srv.url, self.now + td(minutes=12))
        again.communicate(timeout=60)
        srv.shutdown()
        self.assertEqual(len(srv.requests), 1)  # the provider got it once, and only once
        self.assertEqual(OutreachAttempt.objects.get().status, "uncertain")

    def test_a_worker_killed_between_claim_and_attempt_loses_nothing(self):
        OutreachStep.objects.exclude(client__external_id="c-000").delete()
        day = self.now.astimezone(self.practice.tz).date()
        DailyCount.objects.create(practice=self.practice, day=day)
        srv = start_provider()
        # Hold the daily-cap row: the worker claims the step, then blocks on it.
        dsn = f"postgresql://postgres@127.0.0.1:5432/{self.db}"
        with psycopg.connect(dsn) as lock:
            lock.execute("SELECT count FROM outreach_dailycount WHERE day = %s FOR UPDATE", [day])
            worker = tick_process(self.db, srv.url, self.now)
            for _ in range(300):
                if OutreachStep.objects.get().status == "sending":
                    break
                time.sleep(0.1)
            time.sleep(0.5)
            worker.send_signal(signal.SIGKILL)
            worker.wait(30)
            lock.rollback()
        self.assertEqual(OutreachStep.objects.get().status, "sending")
        self.assertEqual(OutreachAttempt.objects.count(), 0)
        later = self.now + td(minutes=11)
        again = tick_process(self.db, srv.url, later)
        again.communicate(timeout=60)
        srv.shutdown()
        self.assertEqual(OutreachStep.objects.get().status, "sent")
        self.assertEqual(len(srv.requests), 1)
