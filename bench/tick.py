"""Benchmark: the outreach tick processing 10,000 due steps, beside a naive loop.

Both run in this process on a fresh SQLite file (or DATABASE_URL), over the
same 10,000 approved email steps, with Django's in-memory email backend so
the figure is the tick's own cost, not a mail server's:

- tick: `run_once`, i.e. per step a conditional-UPDATE claim, the recheck,
  pacing (with the daily-cap counter), an attempt row and an audit row
  committed before the transport, then the result;
- naive: `for step in due: send; step.status = "sent"; step.save()`, which
  is what a cron job without claims does (and sends twice if run twice).

    .venv/bin/python bench/tick.py [--steps 10000]
"""

import argparse
import os
import sys
import tempfile
import time
from datetime import datetime, timezone as tz

os.environ.setdefault("STILLHERE_DATA_DIR", tempfile.mkdtemp(prefix="bench-tick-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stillhere.settings")


def setup(n):
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model

    from stillhere.accounts.models import Membership, Practice
    from stillhere.clients.models import Client, Episode
    from stillhere.outreach.models import OutreachSettings, Sequence

    practice = Practice.objects.create(name="Bench Practice", slug=f"bench-{time.time_ns()}", timezone="UTC")
    OutreachSettings.objects.create(practice=practice, daily_cap=10 * n, min_gap_hours=0)
    user = get_user_model().objects.create_user(f"bench{time.time_ns()}")
    clinician = Membership.objects.create(practice=practice, user=user, role="clinician")
    clients = Client.objects.bulk_create([
        Client(practice=practice, external_id=f"b{i}", first_name="Client", last_name=str(i),
               email=f"b{i}@example.org", consent_email=True) for i in range(n)])
    eps = Episode.objects.bulk_create([
        Episode(practice=practice, client=c, clinician=clinician, started="2026-01-01", state="missed")
        for c in clients])
    seqs = Sequence.objects.bulk_create([
        Sequence(practice=practice, client=c, episode=e, anchor=NOW, started=NOW) for c, e in zip(clients, eps)])
    return practice, list(zip(clients, eps, seqs))


NOW = datetime(2026, 3, 4, 12, tzinfo=tz.utc)


def make_steps(practice, rows):
    from stillhere.outreach.models import OutreachStep

    OutreachStep.objects.all().delete()
    OutreachStep.objects.bulk_create([
        OutreachStep(sequence=s, practice=practice, client=c, episode=e, position=1, key="message",
                     template="checking_in", channel="email", due=NOW, status="approved", subject="Checking in",
                     body="Hi, just checking in. The door is open whenever you're ready; reply any time.")
        for c, e, s in rows])


def naive(practice):
    from django.core.mail import EmailMessage

    from stillhere.outreach.models import OutreachStep

    for step in OutreachStep.objects.filter(status="approved", due__lte=NOW).select_related("client"):
        EmailMessage(step.subject, step.body, None, [step.client.email]).send()
        step.status = "sent"
        step.save()


def ticked():
    from stillhere.outreach.sending import run_once

    return run_once(lambda: NOW)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=10_000)
    n = ap.parse_args().steps
    practice, rows = setup(n)
    from django.core import mail

    from stillhere.clients.models import Episode
    from stillhere.outreach.models import OutreachAttempt, OutreachStep

    make_steps(practice, rows)
    t = time.perf_counter()
    naive(practice)
    t_naive = time.perf_counter() - t
    sent_naive = len(mail.outbox)

    make_steps(practice, rows)
    Episode.objects.update(state="missed")
    mail.outbox = []
    t = time.perf_counter()
    ticked()
    t_tick = time.perf_counter() - t
    sent = OutreachStep.objects.filter(status="sent").count()
    assert sent == n == len(mail.outbox) == OutreachAttempt.objects.count(), (sent, len(mail.outbox))

    engine = __import__("django.db", fromlist=["connection"]).connection.vendor
    print(f"outreach tick, {n:,} due email steps on {engine}")
    print(f"  tick  : {t_tick:6.2f} s  {n / t_tick:8.0f} steps/s  (claimed, attempt + audit rows, each sent once)")
    print(f"  naive : {t_naive:6.2f} s  {sent_naive / t_naive:8.0f} steps/s  (no claim, no attempt, no audit)")
    print(f"  ratio : tick takes {t_tick / t_naive:.1f}x the naive loop's time")


if __name__ == "__main__":
    sys.exit(main())
