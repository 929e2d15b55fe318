"""Sending approved steps in batches: the tick's hot path.

The same promise as sending.py's one-step path (a step goes out at most once;
a crash leaves a step back in the queue or "uncertain" for a person), paid
for once per batch instead of once per step:

1. claim: one conditional UPDATE moves up to CLAIM due steps from
   "approved" to "sending" under one fresh token; the claimed steps are read
   back with everything the checks need in one query, and the facts that
   may have changed (channel blocks, rebookings) in one query each;
2. checks: a step with anything unusual about it (a reason not to send, a
   safety check, another step of the same client that is unusual) takes the
   one-step path, `send_claimed`, which skips, moves or sends it exactly as
   before; the rest are paced together (quiet hours, the gap since the last
   contact, the daily cap taken as several places in one conditional UPDATE);
3. then, CHUNK steps at a time: `attempted` set where the claim is still
   ours and the attempt and audit rows written, in one transaction
   committed before any transport is called; the transports; the results
   (attempts, steps, the episodes' first contact) written together. An
   exception or Ctrl-C in a transport still records the results of the
   steps already handed over (`finally`), so only the step in hand is left
   "sending" for the stale sweep to flag, as before.

A kill -9 mid-chunk leaves that chunk's steps "uncertain" (each sent at most
once), so a person checks up to CHUNK steps rather than one: the price of
writing results per chunk. Steps claimed but not yet attempted when the batch
runs long (a hung mail server) go back to the queue before the claim could
be taken for a dead one.
"""

import os
import time
import uuid
from collections import defaultdict
from datetime import timedelta as td

from django.db import connection, transaction
from django.db.models import F

from stillhere.audit.events import OutreachAttempted, OutreachFailed, record_many
from stillhere.clients.models import Appointment, Episode
from stillhere.engagement.models import StateChange

from .models import ChannelBlock, DailyCount, OutreachAttempt, OutreachSettings, OutreachStep, Sequence
from .pacing import _at, _local, in_quiet_hours
from .sequences import OUTREACH_STATES, usable_channels
from .transports import TransportError, get_transport

S = OutreachStep.Status
A = OutreachAttempt.Status
# Steps claimed at once, and handed over per transaction. Small enough that
# a chunk's worst case (every message hitting a 20 s mail-server timeout)
# stays inside the 10-minute claim; STILLHERE_TICK_BATCH lowers the claim
# (two racing workers in a test each get a share of 30 steps).
CLAIM = int(os.environ.get("STILLHERE_TICK_BATCH") or 100)
CHUNK = min(25, CLAIM)


def send_batch(now) -> list[str] | bool:
    """Claim and send a batch of due steps; False when none is due, else
    the log lines (empty when another worker took the whole batch)."""
    from .sending import RELATED

    ids = list(OutreachStep.objects.filter(status=S.APPROVED, due__lte=now)
               .order_by("due", "id").values_list("id", flat=True)[:CLAIM])
    if not ids:
        return False
    token = uuid.uuid4()
    if not OutreachStep.objects.filter(id__in=ids, status=S.APPROVED).update(
            status=S.SENDING, claim=token, claimed=now):
        return []  # another worker got there first
    steps = list(OutreachStep.objects.filter(id__in=ids, claim=token, status=S.SENDING)
                 .select_related(*RELATED, "sequence__appointment").order_by("due", "id"))
    practices = {}
    for s in steps:  # one practice object (and its settings, read once) per practice
        s.practice = practices.setdefault(s.practice_id, s.practice)
    for practice in practices.values():
        practice._outreach_settings = OutreachSettings.for_practice(practice)
    return Batch(steps, token, now).run()


class Batch:
    def __init__(self, steps, token, now):
        self.steps, self.token, self.now, self.lines = steps, token, now, []
        self.started = time.monotonic()

    def run(self) -> list[str]:
        from .sending import send_claimed

        usual, unusual = self.sort()
        for step in unusual:
            self.lines.append(send_claimed(step.id, self.token, self.now))
        go = []
        for practice_steps in grouped(usual, "practice_id").values():
            go += self.pace(practice_steps)
        for i in range(0, len(go), CHUNK):
            if time.monotonic() - self.started > STALE_BUDGET:
                self.release(go[i:])
                break
            self.hand_over(go[i:i + CHUNK])
        return self.lines

    # -- checks ---------------------------------------------------------
    def sort(self):
        """(usual, unusual): the unusual ones, and every step of their clients,
        go one at a time through the path that knows what to do about them."""
        client_ids = {s.client_id for s in self.steps}
        blocked = defaultdict(set)
        for client_id, channel in ChannelBlock.objects.filter(client_id__in=client_ids).values_list(
                "client_id", "channel"):
            blocked[client_id].add(channel)
        cadence = {s.client_id for s in self.steps if s.sequence.kind == Sequence.Kind.CADENCE}
        rebooked = set(Appointment.objects.filter(
            episode__client_id__in=cadence, status=Appointment.Status.SCHEDULED, start__gt=self.now)
            .values_list("episode__client_id", flat=True).distinct()) if cadence else set()
        odd = {s.client_id for s in self.steps if not self.plain(s, blocked[s.client_id], rebooked)}
        return ([s for s in self.steps if s.client_id not in odd], [s for s in self.steps if s.client_id in odd])

    def plain(self, step, blocked, rebooked) -> bool:
        """True when none of why_not's reasons can apply and pacing applies
        as usual; anything else is left to the one-step path to say."""
        seq, client, episode, now = step.sequence, step.client, step.episode, self.now
        if seq.status != Sequence.Status.RUNNING or client.do_not_contact or episode.ended:
            return False
        if step.key == "safety_check":
            return False
        if seq.kind == Sequence.Kind.REMINDER:
            appt = seq.appointment
            if appt is None or appt.status != Appointment.Status.SCHEDULED or appt.start <= now:
                return False
        if seq.kind == Sequence.Kind.CADENCE and (client.pk in rebooked or episode.state not in OUTREACH_STATES):
            return False
        return step.channel in usable_channels(client, blocked=blocked)

    def pace(self, steps) -> list:
        """Quiet hours, the gap since the last contact and the daily cap, for
        one practice's steps at once; returns the steps that may go now."""
        practice, now = steps[0].practice, self.now
        prefs = OutreachSettings.for_practice(practice)
        if when := in_quiet_hours(prefs, practice, now):
            self.move(steps, when, "quiet hours")
            return []
        go = steps
        if prefs.min_gap_hours:
            gap, go = td(hours=prefs.min_gap_hours), []
            recent = defaultdict(list)
            for client_id, step_id, created in OutreachAttempt.objects.filter(
                    client_id__in={s.client_id for s in steps}, created__gt=now - gap).values_list(
                    "client_id", "step_id", "created"):
                recent[client_id].append((step_id, created))
            going = set()
            why = f"less than {prefs.min_gap_hours} hours since the last contact"
            for s in steps:
                last = max((c for step_id, c in recent[s.client_id] if step_id != s.id), default=None)
                if s.client_id in going:  # another step of this client goes in this batch, now
                    last = max(last or now, now)
                if last:
                    self.move([s], last + gap, why)
                else:
                    go.append(s)
                    going.add(s.client_id)
        taken = take_places(prefs, practice, now, len(go))
        if taken < len(go):
            day = _local(practice, now).date()
            self.move(go[taken:], _at(practice, day + td(days=1), prefs.quiet_end),
                      "the practice's daily limit is reached")
        return go[:taken]

    def move(self, steps, when, why):
        OutreachStep.objects.filter(id__in=[s.id for s in steps], claim=self.token, attempted=None).update(
            status=S.APPROVED, due=when, claim=None, claimed=None)
        self.lines += [f"{code8(s)} ({s.channel}) moved to {when:%Y-%m-%d %H:%M}: {why}" for s in steps]

    def release(self, steps):
        """Back to the queue, untried, and their places under the cap given back."""
        OutreachStep.objects.filter(id__in=[s.id for s in steps], claim=self.token, attempted=None).update(
            status=S.APPROVED, claim=None, claimed=None)
        for practice_steps in grouped(steps, "practice_id").values():
            give_back(practice_steps[0].practice, self.now, len(practice_steps))

    # -- hand-over --------------------------------------------------------
    def hand_over(self, steps):
        from .sending import send_claimed

        now = self.now
        transports = [get_transport(s) for s in steps]
        attempts = [OutreachAttempt(step=s, practice=s.practice, client=s.client, channel=s.channel, created=now)
                    for s in steps]
        for a, t in zip(attempts, transports):
            a.provider_id = t.known_id(a) or ""
        try:
            with transaction.atomic():
                if OutreachStep.objects.filter(id__in=[s.id for s in steps], claim=self.token, status=S.SENDING,
                                               attempted=None).update(attempted=now) != len(steps):
                    raise ClaimLost
                OutreachAttempt.objects.bulk_create(attempts)
                record_many([OutreachAttempted(practice=s.practice, client=s.client, step=s, attempt=a)
                             for s, a in zip(steps, attempts)])
        except ClaimLost:
            # Some claim in this chunk was taken back (the batch ran past the
            # stale limit): nothing was written; each step goes the one-step
            # way, which says "claim lost" for those no longer ours.
            for practice_steps in grouped(steps, "practice_id").values():
                give_back(practice_steps[0].practice, now, len(practice_steps))
            self.lines += [send_claimed(s.id, self.token, now) for s in steps]
            return
        done = []
        try:
            for s, a, t in zip(steps, attempts, transports):
                started, error, permanent = time.monotonic(), "", False
                try:
                    provider_id = t.notify(s, a) or a.provider_id
                except TransportError as e:
                    provider_id, error, permanent = a.provider_id, e.message[:300], e.permanent
                done.append((s, a, t, error, permanent, provider_id, time.monotonic() - started))
        finally:
            if done:
                self.record(done)

    def record(self, done):
        now = self.now
        with transaction.atomic():
            for s, a, t, error, permanent, provider_id, _ in done:
                a.status, a.error, a.provider_id, a.finished = (A.FAILED if error else A.SENT), error, \
                    provider_id or "", now
            executemany(OutreachAttempt, ["status", "error", "provider_id", "finished"],
                        [(d[1].status, d[1].error, d[1].provider_id, d[1].finished, d[1].id) for d in done])
            handed = defaultdict(list)
            failed = []
            for d in done:
                (failed if d[3] else handed[d[2].handed_off_status]).append(d)
            live = OutreachStep.objects.filter(status__in=[S.SENDING, S.UNCERTAIN])
            for status, ds in handed.items():
                live.filter(id__in=[d[0].id for d in ds]).update(status=status, finished=now, claim=None)
                for d in ds:
                    d[0].status = status
            if failed:
                live.filter(id__in=[d[0].id for d in failed]).update(status=S.FAILED, finished=now, claim=None)
                for s, a, t, error, permanent, *_ in failed:
                    if permanent:
                        ChannelBlock.objects.get_or_create(client=s.client, channel=s.channel,
                                                           defaults={"reason": error[:200]})
                record_many([OutreachFailed(practice=s.practice, client=s.client, step=s, attempt=a, error=error,
                                            permanent=permanent) for s, a, t, error, permanent, *_ in failed])
            self.after_handoff([d[0] for ds in handed.values() for d in ds])
        for s, a, t, error, permanent, provider_id, secs in done:
            self.lines.append(f"{code8(s)} ({s.channel}) Error in {secs:.1f}s: {error}" if error
                              else f"{code8(s)} ({s.channel}) OK in {secs:.1f}s")

    def after_handoff(self, steps):
        """The first contact of a paced sequence moves its episode to
        "reaching out", for all the chunk's episodes in one UPDATE per old
        state; a closing message or a reminder goes the one-step way."""
        from .sending import after_handoff

        first = {}
        for s in steps:
            if s.closing or s.sequence.kind == Sequence.Kind.REMINDER:
                after_handoff(s, self.now)
            elif s.sequence.kind == Sequence.Kind.CADENCE and s.episode_id not in first:
                first[s.episode_id] = s
        for old in (Episode.State.MISSED, Episode.State.LAPSED):
            ids = [e for e, s in first.items() if s.episode.state == old]
            moved = set(update_returning_ids(Episode, ids, old, Episode.State.REACHING_OUT, self.now))
            StateChange.objects.bulk_create([
                StateChange(practice_id=s.practice_id, episode_id=e, old_state=old,
                            new_state=Episode.State.REACHING_OUT, reason="first_contact",
                            detail=f"First outreach: {s.title.lower()}"[:300], at=self.now,
                            source=StateChange.Source.OUTREACH, processed=self.now)
                for e, s in first.items() if e in moved])
            for e in moved:
                first[e].episode.state, first[e].episode.state_since = Episode.State.REACHING_OUT, self.now


class ClaimLost(Exception):
    pass


STALE_BUDGET = 300  # seconds: half the 10-minute claim (sending.STALE_AFTER)


def update_returning_ids(model, ids, old, new, now) -> list[int]:
    """Move the episodes still in `old` to `new`; the ids that moved. One
    conditional UPDATE ... RETURNING (PostgreSQL, and SQLite since 3.35), so
    a change another process made first is neither overwritten nor recorded."""
    if not ids:
        return []
    table = connection.ops.quote_name(model._meta.db_table)
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {table} SET state = %s, state_since = %s WHERE state = %s AND id IN ({marks}) "
                    "RETURNING id", [new, now, old, *ids])
        return [row[0] for row in cur.fetchall()]


def executemany(model, fields, rows) -> None:
    """UPDATE model SET fields... WHERE id = ..., one row of values each, as
    one executemany: a chunk's results differ row by row (provider ids)."""
    table, ops = model._meta.db_table, connection.ops
    sets = ", ".join(f"{ops.quote_name(model._meta.get_field(f).column)} = %s" for f in fields)
    adapt = [model._meta.get_field(f) for f in fields]
    values = [[field.get_db_prep_save(v, connection) for field, v in zip(adapt, row[:-1])] + [row[-1]]
              for row in rows]
    with connection.cursor() as cur:
        cur.executemany(f"UPDATE {ops.quote_name(table)} SET {sets} WHERE id = %s", values)


def take_places(prefs, practice, now, wanted: int) -> int:
    """Take up to `wanted` places under today's cap in one conditional
    UPDATE (retried with what is left if another worker took some first)."""
    if wanted <= 0:
        return 0
    day = _local(practice, now).date()
    DailyCount.objects.get_or_create(practice=practice, day=day)
    today = DailyCount.objects.filter(practice=practice, day=day)
    while wanted > 0:
        if today.filter(count__lte=prefs.daily_cap - wanted).update(count=F("count") + wanted) == 1:
            return wanted
        wanted = min(wanted, max(prefs.daily_cap - today.values_list("count", flat=True).get(), 0))
    return 0


def give_back(practice, now, n: int) -> None:
    day = _local(practice, now).date()
    DailyCount.objects.filter(practice=practice, day=day, count__gte=n).update(count=F("count") - n)


def grouped(steps, attr) -> dict:
    out = defaultdict(list)
    for s in steps:
        out[getattr(s, attr)].append(s)
    return out


def code8(step) -> str:
    return str(step.code)[:8]
