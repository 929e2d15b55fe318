"""Two real `stillhere worker` processes on one database, with the clock
moved to a practice's morning: the scan runs once, each minute's tick runs
once (and each approved text goes out once), the daily clean-up runs once,
and when the acting worker is stopped the other carries on."""

import os
import re
import signal
import subprocess
import sys
import time
from datetime import datetime, time as clock_time, timedelta, timezone
from unittest import skipUnless

from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import TransactionTestCase
from django.utils import timezone as djtz

from stillhere.accounts.models import Practice
from stillhere.clients.models import Episode
from stillhere.outreach.models import OutreachSettings, OutreachStep, Sequence
from stillhere.outreach.tests.helpers import start_provider
from stillhere.risk.models import RiskScore
from stillhere.test import make_client, make_member
from stillhere.worker.models import Lease, Run

ON_POSTGRES = connection.vendor == "postgresql"
START = datetime(2026, 1, 15, 9, 57, tzinfo=timezone.utc)   # London is on UTC in January
SPEED = 20   # three real seconds a minute
LINE = re.compile(r"^\S+ worker (tick|scan|housekeeping) (?:(\S+) )?(\S+): (.*) \(\d+\.\d\d s\)$")


def worker(db_name, sms_url, origin, health_port=None):
    env = {k: v for k, v in os.environ.items() if k != "TEST_DB_NAME"}
    env.update(DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{db_name}", SMS_PROVIDER="twilio",
               TWILIO_ACCOUNT="AC123", TWILIO_AUTH="secret-token", TWILIO_FROM="+15555550199",
               TWILIO_API_URL=sms_url, PYTHONUNBUFFERED="1")
    args = [sys.executable, "-m", "stillhere.cli", "worker", "--start-at", START.isoformat(),
            "--speed", str(SPEED), "--clock-origin", str(origin)]
    if health_port:
        args += ["--health", f"127.0.0.1:{health_port}"]
    return subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(condition, timeout=240, what=""):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


@skipUnless(ON_POSTGRES, "two worker processes need a shared PostgreSQL database")
class TwoWorkersTestCase(TransactionTestCase):
    N = 4

    def setUp(self):
        self.practice = Practice.objects.create(name="Riverside Practice", slug="riverside",
                                                timezone="Europe/London", morning_scan_at=clock_time(10, 0))
        OutreachSettings.objects.create(practice=self.practice, daily_cap=1000)
        alice = make_member(self.practice, "alice", "clinician")
        # Ana's no-show on 12 January: the morning scan finds it past the waiting period.
        self.ana = make_client(self.practice, alice, "r-001", "Ana", "Abbott", consent_sms=True)
        for i in range(self.N):   # texts a clinician approved, due now
            client = make_client(self.practice, alice, f"c-{i}", "Client", f"N{i}", consent_sms=True)
            ep = client.episodes.get()
            # Approved texts belong to an episode already being reached out to,
            # as a real one would be (outreach never goes to an active client).
            Episode.objects.filter(pk=ep.pk).update(state=Episode.State.REACHING_OUT)
            seq = Sequence.objects.create(practice=self.practice, client=client, episode=ep, anchor=START,
                                          started=START)
            OutreachStep.objects.create(sequence=seq, practice=self.practice, client=client, episode=ep,
                                        position=0, key="message", template="checking_in", channel="sms",
                                        due=START, status="approved", body=f"Hi {i}, just checking in.")
        stale = SessionStore()
        stale.create()
        Session.objects.filter(session_key=stale.session_key).update(expire_date=djtz.now() - timedelta(days=1))
        self.db = connection.settings_dict["NAME"]

    def test_two_workers_run_the_morning_scan_ticks_and_clean_up_once_each(self):
        sms = start_provider()
        origin = time.time() + 5
        workers = [worker(self.db, sms.url, origin, health_port=None) for _ in range(2)]
        try:
            wait_for(lambda: Run.objects.filter(job="scan", ok=True).exists()
                     and Run.objects.filter(job="tick", ok=True, started__gt=START + timedelta(minutes=3)).count() >= 2,
                     what="the morning scan and two ticks after it")
            first = Lease.objects.get().holder
            acting = [w for w in workers if f":{w.pid}:" in first][0]
            standby = [w for w in workers if w is not acting][0]
            acting.send_signal(signal.SIGTERM)
            acting_out, acting_err = acting.communicate(timeout=120)
            wait_for(lambda: Run.objects.filter(job="tick", ok=True, worker=Lease.objects.get().holder).count() >= 2,
                     what="the standby taking over")
            second = Lease.objects.get().holder
            standby.send_signal(signal.SIGTERM)
            standby_out, standby_err = standby.communicate(timeout=120)
        finally:
            for w in workers:
                if w.poll() is None:
                    w.kill()
                    w.communicate()
            sms.shutdown()
        outs = (acting_out, standby_out)
        self.assertEqual([acting.returncode, standby.returncode], [0, 0], (outs, acting_err, standby_err))
        self.assertIn(f":{standby.pid}:", second)
        self.assertIn("holding the lease", standby_out)
        self.assertIn("stopped; lease given up", acting_out)

        runs = [LINE.match(line).groups() for out in outs for line in out.splitlines() if LINE.match(line)]
        by_job = {}
        for job, label, slot, _ in runs:
            by_job.setdefault(job, []).append((label, slot))
        # Once each, across both workers.
        self.assertEqual(by_job["scan"], [("riverside", "2026-01-15")])
        self.assertEqual(by_job["housekeeping"], [(None, "2026-01-15")])
        ticks = [slot for _, slot in by_job["tick"]]
        self.assertEqual(len(ticks), len(set(ticks)))
        self.assertGreaterEqual(len(ticks), 4)
        # What a clinician and a client would notice:
        # the scan ran once (one score per open episode, not two) ...
        self.assertEqual(RiskScore.objects.count(), self.N + 1)
        # ... the tick acted on its finding (Ana's outreach began) ...
        self.assertTrue(Sequence.objects.filter(client=self.ana).exists())
        # ... each approved text went out once ...
        bodies = sorted(r["form"]["Body"] for r in sms.requests)
        self.assertEqual(bodies, sorted(f"Hi {i}, just checking in." for i in range(self.N)))
        # ... and the expired sign-in is gone.
        self.assertFalse(Session.objects.exists())
        # One line per run, counts only: no client's name in the log.
        for out in outs:
            self.assertNotIn("Ana", out)
            self.assertNotIn("Abbott", out)
