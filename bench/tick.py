"""Benchmark: the outreach tick sending 10,000 due steps, in batches, beside
the one-step-at-a-time tick it replaced.

Both run in this process, interleaved over the same kind of work: each run
gets its own 10,000 clients (half email, half text message), each with one
approved step due now, their episodes "missed" (so each send is also the
episode's first contact), the practice's usual 20-hour gap between contacts
and a daily cap above the load. Messages go to the local outbox (the
database-backed email backend and SMS_PROVIDER=outbox that `make demo`
uses), so every message costs what a real hand-over costs the database but
no mail server's time. Prints steps/s and SQL statements per step for each.

- batched: `run_once` as the tick runs it (outreach/batch.py);
- one at a time: the same `run_once` with handle_one_send in place of the
  batch unit, i.e. the tick before this change.

Each run checks that every step was sent exactly once, with one attempt and
one audit row, and the audit chain still verifies.

    .venv/bin/python bench/tick.py [--steps 10000] [--rounds 1]
    DATABASE_URL=postgres://... .venv/bin/python bench/tick.py
"""

import argparse
import os
import sys
import tempfile
import time
from datetime import datetime, timezone as tz

os.environ.setdefault("STILLHERE_DATA_DIR", tempfile.mkdtemp(prefix="bench-tick-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stillhere.settings")
os.environ["SMS_PROVIDER"] = "outbox"

NOW = datetime(2026, 3, 4, 12, tzinfo=tz.utc)


def setup(n):
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.EMAIL_BACKEND = "stillhere.channels.outbox.EmailBackend"
    settings.SMS_PROVIDER = "outbox"
    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model

    from stillhere.accounts.models import Membership, Practice
    from stillhere.outreach.models import OutreachSettings

    practice = Practice.objects.create(name="Bench Practice", slug=f"bench-{time.time_ns()}", timezone="UTC")
    OutreachSettings.objects.create(practice=practice, daily_cap=100 * n, min_gap_hours=20)
    user = get_user_model().objects.create_user(f"bench{time.time_ns()}")
    clinician = Membership.objects.create(practice=practice, user=user, role="clinician")
    return practice, clinician


def make_work(practice, clinician, n, tag):
    """n clients, each with a missed episode, a running sequence and one step due."""
    from stillhere.clients.models import Client, Episode
    from stillhere.outreach.models import OutreachStep, Sequence

    clients = Client.objects.bulk_create([
        Client(practice=practice, external_id=f"{tag}{i}", first_name="Client", last_name=str(i),
               email=f"{tag}{i}@example.org", consent_email=True, phone=f"+1555{i:07d}", consent_sms=True)
        for i in range(n)])
    eps = Episode.objects.bulk_create([
        Episode(practice=practice, client=c, clinician=clinician, started="2026-01-01", state="missed")
        for c in clients])
    seqs = Sequence.objects.bulk_create([
        Sequence(practice=practice, client=c, episode=e, anchor=NOW, started=NOW) for c, e in zip(clients, eps)])
    OutreachStep.objects.bulk_create([
        OutreachStep(sequence=s, practice=practice, client=c, episode=e, position=1, key="message",
                     template="checking_in", channel="email" if i % 2 else "sms", due=NOW, status="approved",
                     subject="Checking in",
                     body="Hi, just checking in. The door is open whenever you're ready; reply any time.")
        for i, (c, e, s) in enumerate(zip(clients, eps, seqs))])
    return {c.id for c in clients}


class Counter:
    def __init__(self):
        self.n = 0

    def __call__(self, execute, sql, params, many, context):
        self.n += 1
        return execute(sql, params, many, context)


def run(kind, practice, clinician, n, tag):
    from unittest.mock import patch

    from django.db import connection

    from stillhere.audit.models import AuditEvent
    from stillhere.outreach import sending
    from stillhere.outreach.models import OutboxMessage, OutreachAttempt, OutreachStep

    client_ids = make_work(practice, clinician, n, tag)
    boxed = OutboxMessage.objects.count()
    audited = AuditEvent.objects.filter(verb="outreach-attempted").count()
    units = sending.UNITS
    if kind == "one at a time":
        units = tuple(sending.handle_one_send if u is sending.handle_send_batch else u for u in units)
    counter = Counter()
    with patch.object(sending, "UNITS", units), connection.execute_wrapper(counter):
        t, cpu = time.perf_counter(), time.process_time()
        sending.run_once(lambda: NOW)
        secs, cpu = time.perf_counter() - t, time.process_time() - cpu
    sent = OutreachStep.objects.filter(client_id__in=client_ids, status="sent").count()
    attempts = OutreachAttempt.objects.filter(client_id__in=client_ids).count()
    out = OutboxMessage.objects.count() - boxed
    rows = AuditEvent.objects.filter(verb="outreach-attempted").count() - audited
    assert sent == attempts == out == rows == n, (kind, sent, attempts, out, rows)
    return secs, cpu, counter.n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=1, help="interleaved runs of each")
    args = ap.parse_args()
    n = args.steps
    practice, clinician = setup(n)
    from django.db import connection

    from stillhere.audit.chain import verify

    results = {"batched": [], "one at a time": []}
    for r in range(args.rounds):
        for kind in results:
            results[kind].append(run(kind, practice, clinician, n, f"{kind[0]}{r}-"))
    report = verify()
    assert report.ok, report.problems
    print(f"outreach tick, {n:,} due steps (half email, half text, to the outbox) on {connection.vendor}")
    for kind, runs in results.items():
        secs, cpu, statements = min(runs)
        print(f"  {kind:<14}: {secs:6.2f} s  {n / secs:7.0f} steps/s  (this process's CPU {cpu:6.2f} s, "
              f"{n / cpu:5.0f} steps/s)  {statements / n:5.1f} SQL statements/step")
    b, o = min(results["batched"])[0], min(results["one at a time"])[0]
    print(f"  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; batched is {o / b:.1f}x the one-at-a-time tick; every step sent once, "
          f"{report.checked:,} audit events verified")


if __name__ == "__main__":
    sys.exit(main())
