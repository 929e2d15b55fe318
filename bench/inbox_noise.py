"""How noisy is the Needs attention inbox, and does it catch who is leaving?

On a simulated practice (default 50 clinicians), the morning scan runs day by
day over 30 days, exactly as the worker runs it (`scan_practice`, states and
risks stored, each day reconciled with the day before), and after each scan
every clinician's inbox is read (`needs_attention`, the function the home page
calls). Two inboxes are read from the same scanned state, in this process:

- today's: the thresholds before this round (an alliance drop of 1 point
  raises "alliance falling"), every item a line of its own, and nothing can
  be marked raised;
- the new one: the default thresholds (an alliance drop of at least the SRS's
  reliable change, 3 points), one card per client, and each "talk about it at
  the next session" item marked raised at the client's next attended session
  (it then stays away until a newer questionnaire alert arrives).

It prints items (and, for the new inbox, cards) per clinician per day by kind,
and the share of the episodes that truly end without goodbye in those 30 days
(the simulator's truth: outcome no_goodbye, true end inside the window) that
were in the inbox on some day of the window, and the share caught before their
last session.

    .venv/bin/python bench/inbox_noise.py [--clinicians 50] [--days 30] [--seed 5]

The practice is simulated and loaded into its own PostgreSQL database
(BENCH_NOISE_URL, default stillhere_bench_noise on the local server), dropped
and made afresh on every run (the scans write states day by day).

A backtest, with its limits said: the data hold every fact up to the last day
of the window, and the scan reads only facts dated before each morning, but
an episode whose ending is recorded later in the window is already gone from
the inbox's list of open episodes, and check-ins count only sessions still
marked scheduled (so the replay undercounts check-ins on the early days).
No outreach is run, so there are no outreach items.
"""

import argparse
import contextlib
import os
import sys
import time
from collections import Counter, defaultdict
from datetime import date, datetime, time as dtime, timedelta, timezone
from pathlib import Path
from unittest import mock
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB_URL = os.getenv("BENCH_NOISE_URL", "postgres://postgres@127.0.0.1:5432/stillhere_bench_noise")
SLUG = "bench-noise"
TODAY_TOML = "[alerts]\nalliance_drop = 1\n"   # the default before this round


def fresh_database() -> None:
    import psycopg

    name = urlparse(DB_URL).path.lstrip("/")
    admin = DB_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        con.execute(f'CREATE DATABASE "{name}"')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clinicians", type=int, default=50)
    ap.add_argument("--clients-per-clinician", type=int, default=60)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--seed", type=int, default=5)
    args = ap.parse_args()

    os.environ["DATABASE_URL"] = DB_URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stillhere.settings")
    os.environ.setdefault("STILLHERE_DATA_DIR", "/tmp/stillhere-bench-noise")
    Path(os.environ["STILLHERE_DATA_DIR"]).mkdir(parents=True, exist_ok=True)
    fresh_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from stillhere.accounts.models import Membership
    from stillhere.clients.models import Appointment, Episode
    from stillhere.desk.models import RaisedMark
    from stillhere.engagement.inbox import ALERT, GROUP_TITLES, cards, inbox_cache, needs_attention
    from stillhere.engagement.scan import scan_practice
    from stillhere.measures import custom
    from stillhere.measures.models import PracticeMeasures
    from stillhere.simulator.generate import simulate
    from stillhere.simulator.load import load_simulation
    from stillhere.simulator.params import SimParams

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    first = date.today() - timedelta(days=args.days)
    end = first + timedelta(days=args.days)         # the data know every fact up to here
    n_clients = args.clinicians * args.clients_per_clinician
    sim = simulate(n_clients, seed=args.seed, as_of=end, n_clinicians=args.clinicians,
                   params=SimParams(years=2.0), recent_share=0.35)
    practice, _ = load_simulation(sim, slug=SLUG, name="Noise Practice")
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    tz = practice.tz
    members = list(Membership.objects.filter(practice=practice, role="clinician").order_by("id"))
    ext = dict(Episode.objects.filter(practice=practice).values_list("pk", "external_id"))
    open_at_start = Episode.objects.filter(practice=practice, started__lte=first).exclude(ended__lte=first).count()
    print(f"Practice: {len(members)} clinicians, {n_clients:,} clients over 2 years, {open_at_start:,} episodes "
          f"open on {first:%d %b %Y}; {args.days} mornings from {first:%d %b} to "
          f"{end - timedelta(days=1):%d %b} (set up in {time.perf_counter() - t0:.0f} s)", flush=True)

    # The truth: episodes open on the first morning that truly end without
    # goodbye inside the window (their last session falls in it).
    te = sim.truth_episodes
    window_start = datetime.combine(first, dtime.min)
    window_end = datetime.combine(end, dtime.min)
    leaving = te[(te.outcome == "no_goodbye") & (te.true_end >= window_start) & (te.true_end < window_end)]
    open_ids = set(Episode.objects.filter(practice=practice, started__lte=first).exclude(ended__lte=first)
                   .values_list("external_id", flat=True))
    last_session = {str(r.episode_id): r.true_end.date() for r in leaving.itertuples()
                    if str(r.episode_id) in open_ids}

    variants = ("today", "new")
    per_day = {v: [] for v in variants}            # [(Counter of items by group, cards), ...] per day
    seen = {v: set() for v in variants}            # external episode ids ever in the inbox
    seen_before = {v: set() for v in variants}     # ... on a day before their last session
    scan_s, inbox_s = [], defaultdict(list)
    alert_kinds = {v: Counter() for v in variants}   # questionnaire alerts behind "talk about it"
    for day in range(args.days):
        morning = datetime.combine(first + timedelta(days=day), dtime(7), tz).astimezone(timezone.utc)
        t = time.perf_counter()
        scan_practice(practice, morning)
        scan_s.append(time.perf_counter() - t)
        for v in variants:
            if v == "today":
                PracticeMeasures.objects.update_or_create(practice=practice, defaults={"toml": TODAY_TOML})
            else:
                PracticeMeasures.objects.filter(practice=practice).delete()
            custom._cache.clear()
            inbox_cache.store.clear()
            t = time.perf_counter()
            kinds, n_cards, talk = Counter(), 0, []
            talk_kinds = Counter()
            # Today's inbox had nothing to mark raised: the new pass's marks are not applied to it.
            with mock.patch("stillhere.desk.reviews.without_raised", lambda items, g, now=None: items) if v == "today" \
                    else contextlib.nullcontext():
                inboxes = [needs_attention(m, morning) for m in members]
            for items in inboxes:
                kinds.update(i.group for i in items)
                n_cards += len(cards(items))
                talk += [i for i in items if i.group == ALERT]
                talk_kinds.update(k for i in items if i.group == ALERT for k in i.extra["labels"])
                for i in items:
                    e = ext[i.episode.pk]
                    seen[v].add(e)
                    if e in last_session and morning.date() < last_session[e]:
                        seen_before[v].add(e)
            inbox_s[v].append(time.perf_counter() - t)
            per_day[v].append((kinds, n_cards))
            alert_kinds[v].update(talk_kinds)
            if v == "new" and talk:
                _raise_at_next_session(talk, morning, Appointment, RaisedMark)

    n = len(members)
    print()
    print("Items per clinician per day (mean over the days; max day in brackets)")
    head = f"{'kind':<36}" + "".join(f"{v:>18}" for v in variants)
    print(head)
    for g, title in GROUP_TITLES.items():
        cells = []
        for v in variants:
            daily = [k[g] / n for k, _ in per_day[v]]
            cells.append(f"{sum(daily) / len(daily):>11.2f} ({max(daily):.1f})")
        print(f"{title:<36}" + "".join(f"{c:>18}" for c in cells))
    totals = {v: [sum(k.values()) / n for k, _ in per_day[v]] for v in variants}
    card_days = {v: [c / n for _, c in per_day[v]] for v in variants}
    print(f"{'all items':<36}" + "".join(f"{sum(t) / len(t):>11.2f} ({max(t):.1f})" for t in totals.values()))
    print(f"{'cards (one per client)':<36}" + "".join(f"{sum(t) / len(t):>11.2f} ({max(t):.1f})"
                                                   for t in card_days.values()))
    print()
    print("Questionnaire alerts behind \"talk about it\" (per clinician per day; a card can carry several)")
    for label in sorted(set(alert_kinds["today"]) | set(alert_kinds["new"])):
        print(f"  {label:<34}" + "".join(f"{alert_kinds[v][label] / n / args.days:>18.2f}" for v in variants))
    print()
    total = len(last_session)
    for v in variants:
        caught = len(seen[v] & set(last_session))
        before = len(seen_before[v] & set(last_session))
        print(f"{v:>6}: of {total} episodes that truly end without goodbye in the window, {caught} "
              f"({caught / max(total, 1):.0%}) were in the inbox on some morning of it, {before} "
              f"({before / max(total, 1):.0%}) before their last session")
    print()
    print(f"Morning scan: median {sorted(scan_s)[len(scan_s) // 2]:.2f} s; every clinician's inbox: median "
          + ", ".join(f"{v} {sorted(s)[len(s) // 2]:.2f} s" for v, s in inbox_s.items())
          + f" ({n} clinicians); whole run {time.perf_counter() - t0:.0f} s")


def _raise_at_next_session(talk, morning, Appointment, RaisedMark):
    """The clinician raises each talking point at the client's next attended
    session, if it is today, and marks it raised then."""
    eps = {i.episode.pk: i for i in talk}
    day_end = morning + timedelta(days=1)
    sessions = dict(Appointment.objects.filter(episode_id__in=list(eps), status="attended", start__gte=morning,
                                               start__lt=day_end).values_list("episode_id", "start"))
    RaisedMark.objects.bulk_create([
        RaisedMark(practice_id=eps[pk].episode.practice_id, episode_id=pk, fact_on=eps[pk].extra["on"],
                   kinds=" ".join(eps[pk].extra["kinds"]), created=when)
        for pk, when in sessions.items()])


if __name__ == "__main__":
    main()
