"""Rescan the episodes a change touched, at once: the scan follows the facts.

An import (CLI, web page, API), a booking, a session's outcome, a client's
details (a safety concern), a questionnaire result, an ending, a logged
contact: each changes the facts the scan reads, and a clinician expects the
inbox to say so now, not after the next morning run. `rescan_episodes` runs
the scan itself (scan.py, the same query, rules and reconciliation) restricted
to the clients of those episodes, so a handful of episodes costs a fraction
of the whole practice (bench/rescan.py measures it).

How the restriction works: the clients are written to engagement_scantarget
inside this transaction, the scan's query reads only their rows (features/
sources.py, `targeted`), and the rows are deleted before the transaction
ends. The query's text never changes, so it is compiled once (features/
compiled.py). Every episode of a listed client is rescanned (their other
episodes too: a return or a safety flag touches them all).

The whole-practice scan stays for the morning run (morning.py). Above
FULL_ABOVE clients a rescan is that whole scan: listing thousands of clients
costs more than reading everyone. Each run is noted in ScanStatus, which the
inbox shows as "Last checked".
"""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from stillhere.clients.models import Episode

from .models import ScanStatus, ScanTarget

# The scan (pandas, Ibis) is imported when a rescan runs: pages and commands
# that merely import this module stay light.

log = logging.getLogger(__name__)

FULL_ABOVE = 2000


def rescan_episodes(practice, episode_ids, *, why: str = "", now: datetime | None = None):
    """Rescan the clients of `episode_ids` as of just after `now`."""
    clients = Episode.objects.filter(practice=practice, pk__in=list(episode_ids)).values_list("client_id", flat=True)
    return rescan_clients(practice, clients, why=why, now=now)


def rescan_clients(practice, client_ids, *, why: str = "", now: datetime | None = None):
    """Rescan these clients' episodes; returns the ScanOutcome (None when
    there was nobody to rescan). The scan reads facts dated strictly
    before its moment, in whole seconds: a booking made this very second
    would be invisible "as of now", so it looks two seconds on (PostgreSQL
    rounds a fact's fraction of a second up where SQLite drops it)."""
    from .scan import scan_practice

    ids = sorted({int(c) for c in client_ids if c})
    if not ids:
        return None
    now = now or timezone.now()
    as_of = now + timedelta(seconds=2)
    with transaction.atomic():
        if len(ids) > FULL_ABOVE:
            out = scan_practice(practice, as_of)
        else:
            made = ScanTarget.objects.bulk_create([ScanTarget(client_id=c) for c in ids], batch_size=2000)
            out = scan_practice(practice, as_of, targeted=True)
            # Only this transaction's rows: others' are invisible until they commit, and none ever does.
            ScanTarget.objects.filter(pk__in=[t.pk for t in made]).delete()
        ScanStatus.objects.update_or_create(practice=practice, defaults={
            "rescan_at": now, "rescan_why": why[:80], "rescan_clients": len(ids)})
    return out


def rescan_quietly(practice, *, episode_ids=(), client_ids=(), why: str = "", now=None) -> bool:
    """A rescan after a change that has already been saved (an import): if it
    fails, the change stands, the failure is logged without client data,
    and the morning run catches up. Returns whether it ran."""
    try:
        clients = set(client_ids)
        if episode_ids:
            clients |= set(Episode.objects.filter(practice=practice, pk__in=list(episode_ids))
                           .values_list("client_id", flat=True))
        rescan_clients(practice, clients, why=why, now=now)
        return True
    except Exception as e:  # noqa: BLE001 - the saved change must not be lost to a scan's failure
        log.error("rescan after %s failed with %s", why or "a change", e.__class__.__name__)
        return False


def note_full_scan(practice, as_of: datetime) -> None:
    """The morning run scanned the whole practice as of `as_of`."""
    ScanStatus.objects.update_or_create(practice=practice, defaults={"full_at": as_of})


def last_checked(practice, now: datetime) -> str:
    """When the practice's states were last brought up to date, in plain
    words for the inbox, in the practice's time: "Last checked 10:02, after
    an import; the whole practice at 06:00"."""
    st = ScanStatus.objects.filter(practice=practice).first()
    if st is None or not (st.full_at or st.rescan_at):
        return "Not checked yet: the first check of the whole practice runs in the morning."
    tz = practice.tz
    today = now.astimezone(tz).date()

    def when(at):
        local = at.astimezone(tz)
        if local.date() == today:
            return f"{local:%H:%M}"
        if (today - local.date()).days == 1:
            return f"yesterday at {local:%H:%M}"
        return f"{local:%a} {local.day} {local:%b} at {local:%H:%M}"

    full, again = st.full_at, st.rescan_at
    if again and (full is None or again > full):
        words = f"Last checked {when(again)}"
        if st.rescan_why:
            words += f", {st.rescan_why}"
        return words + (f"; the whole practice {when(full)}." if full else ".")
    return f"Last checked {when(full)}, the whole practice."


__all__ = ["rescan_episodes", "rescan_clients", "rescan_quietly", "note_full_scan", "last_checked", "FULL_ABOVE"]
