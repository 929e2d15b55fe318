"""The lease lets one worker act; each job's slot runs once; the health
answer says what monitoring needs and nothing about a client."""

import json
from datetime import datetime, time, timedelta, timezone

from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.test import TestCase, TransactionTestCase
from django.utils import timezone as djtz

from stillhere.engagement.models import StateChange
from stillhere.test import BaseTestCase
from stillhere.worker import jobs, lease
from stillhere.worker.clock import Clock
from stillhere.worker.models import Lease, Run

MORNING = datetime(2026, 1, 15, 6, 30, tzinfo=timezone.utc)   # 06:30 in London (winter)


class LeaseTestCase(TestCase):
    def test_one_holder_at_a_time_until_it_lapses_or_is_given_up(self):
        self.assertTrue(lease.claim("a"))
        self.assertFalse(lease.claim("b"))
        self.assertTrue(lease.claim("a"))            # renewal
        Lease.objects.update(expires=djtz.now() - timedelta(seconds=1))   # "a" died
        self.assertTrue(lease.claim("b"))
        self.assertFalse(lease.claim("a"))
        lease.release("a")                           # not a's to give up
        self.assertEqual(lease.current().holder, "b")
        lease.release("b")
        self.assertTrue(lease.claim("a"))


class HeartbeatTestCase(TransactionTestCase):
    """Committed rows: the heartbeat renews from its own thread and connection."""

    def test_the_heartbeat_keeps_the_lease_through_a_long_job(self):
        self.assertTrue(lease.claim("a", ttl=timedelta(seconds=0.3)))
        with lease.Heartbeat("a", ttl=timedelta(seconds=0.3)) as beat:
            import time as t

            t.sleep(0.8)
            self.assertFalse(lease.claim("b", ttl=timedelta(seconds=0.3)))
        self.assertFalse(beat.lost.is_set())


class JobsTestCase(BaseTestCase):
    def slots(self, now):
        return [(d.job, d.label, d.slot) for d in jobs.due_now(now)]

    def test_the_morning_scan_waits_for_each_practices_own_time(self):
        # 06:30 in London is 00:30 in Chicago: Hillside's morning has not come.
        self.assertEqual(self.slots(MORNING), [
            ("housekeeping", "", "2026-01-15"), ("scan", "riverside", "2026-01-15"), ("tick", "", "2026-01-15T06:30")])
        self.riverside.morning_scan_at = time(7, 0)
        self.riverside.save()
        self.assertNotIn("scan", [job for job, *_ in self.slots(MORNING)])
        self.assertIn(("scan", "hillside", "2026-01-15"), self.slots(datetime(2026, 1, 15, 12, 5, tzinfo=timezone.utc)))

    def test_each_slot_runs_once_and_a_failed_daily_job_is_tried_again(self):
        due = {d.job: d for d in jobs.due_now(MORNING)}
        run = jobs.claim(due["scan"], "a", MORNING)
        self.assertIsNotNone(run)
        self.assertIsNone(jobs.claim(due["scan"], "b", MORNING))
        Run.objects.filter(pk=run.pk).update(ok=False)
        again = jobs.claim(due["scan"], "b", MORNING + timedelta(minutes=1))
        self.assertEqual((again.pk, again.attempts, again.worker), (run.pk, 2, "b"))
        Run.objects.filter(pk=run.pk).update(ok=False, attempts=jobs.MAX_ATTEMPTS)
        self.assertIsNone(jobs.claim(due["scan"], "c", MORNING))
        tick = jobs.claim(due["tick"], "a", MORNING)
        Run.objects.filter(pk=tick.pk).update(ok=False)
        self.assertIsNone(jobs.claim(due["tick"], "a", MORNING))   # the next minute's tick will do

    def test_the_scan_job_scans_and_logs_counts_only(self):
        due = [d for d in jobs.due_now(MORNING) if d.job == "scan" and d.label == "riverside"][0]
        run = jobs.claim(due, "a", MORNING)
        line = jobs.execute(due, run, Clock(MORNING, speed=1e-9), lambda: False)
        self.assertRegex(line, r"^scan riverside 2026-01-15: 2 episodes, 2 state changes, 0 reminders offered \(\d+\.\d\d s\)$")
        self.assertNotIn("Ana", line)
        self.assertEqual(StateChange.objects.filter(new_state="missed").count(), 2)
        run.refresh_from_db()
        self.assertTrue(run.ok)

    def test_housekeeping_removes_expired_sessions_and_old_run_records(self):
        for age in (1, 100):
            Run.objects.create(job="tick", slot=f"old-{age}", worker="x", started=MORNING - timedelta(days=age))
        live = SessionStore()
        live.create()
        gone = SessionStore()
        gone.create()
        Session.objects.filter(session_key=gone.session_key).update(expire_date=djtz.now() - timedelta(hours=1))
        due = jobs.due_now(MORNING)[0]
        line = jobs.execute(due, jobs.claim(due, "a", MORNING), Clock(MORNING, speed=1e-9), lambda: False)
        self.assertIn("1 expired sign-in session removed, 1 old run records removed", line)
        self.assertEqual(list(Session.objects.values_list("session_key", flat=True)), [live.session_key])
        self.assertEqual(set(Run.objects.values_list("slot", flat=True)), {"old-1", "2026-01-15"})

    def test_a_run_left_by_a_worker_that_lost_the_lease_is_tried_again(self):
        due = {d.job: d for d in jobs.due_now(MORNING)}
        jobs.claim(due["scan"], "dead", MORNING)
        self.assertEqual(jobs.abandon_unfinished("alive"), 1)
        self.assertEqual(jobs.claim(due["scan"], "alive", MORNING).attempts, 2)


class HealthTestCase(BaseTestCase):
    def test_healthz_says_whether_a_worker_acts_with_times_and_queue_and_no_client_data(self):
        r = self.client.get("/healthz")
        self.assertEqual(r.status_code, 503)
        self.assertEqual(r.json()["status"], "no worker holds the lease")
        lease.claim("host:1:abc")
        Run.objects.create(job="tick", slot="s", worker="host:1:abc", started=MORNING, finished=MORNING,
                           ok=True, seconds=0.25)
        StateChange.objects.create(practice=self.riverside, episode=self.ana.episodes.get(), new_state="missed",
                                   reason="no_show", at=MORNING)
        r = self.client.get("/healthz")
        self.assertEqual(r.status_code, 200)
        body = r.json()
        self.assertEqual((body["status"], body["database"], body["worker"]), ("ok", "reachable", "host:1:abc"))
        self.assertEqual((body["last_tick"], body["last_scan"], body["queue_depth"]),
                         ("2026-01-15T06:30:00Z", None, 1))
        self.assertIn("no-store", r["Cache-Control"])  # never kept by a cache or proxy
        text = json.dumps(body)
        for word in ("Ana", "Abbott", "r-001", "riverside"):
            self.assertNotIn(word, text)
