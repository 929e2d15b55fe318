"""The practice view's figures, kept per period while the practice's data is unchanged.

Directors open the practice page for the same few periods (the last year,
mostly) again and again, and every figure on it is an aggregate over a
year of appointments and episodes: a few hundred milliseconds of database
work. So a report is kept per practice and period, and used again only
while:

- the practice's fingerprint is the one it was computed under: the inbox's
  (engagement/inbox.py: the newest state change, risk score, appointment,
  measure, session marker, outreach reply and response, and the steps
  waiting on a person), plus what the practice page alone reads: how many
  episodes there are and have ended, the newest sequence, and the latest
  time an appointment was written by an import or the API (`updated`);
- it is under five minutes old: a few edits escape the fingerprint (an
  appointment's status changed in place on its session page, an outreach
  step finishing), and the period's last day grows with the clock.

Each gunicorn process keeps its own. Never inside a transaction: its own
uncommitted rows must not be served to others (and tests, which run in one,
always see fresh figures).
"""

import threading
import time

from django.db import connection

from stillhere.engagement.inbox import inbox_cache

TTL = 300.0


def fingerprint(practice_id: int) -> tuple:
    """The inbox's fingerprint of the practice and what the report adds to it."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT (SELECT count(*) FROM clients_episode WHERE practice_id = %s), "
            "(SELECT count(*) FROM clients_episode WHERE practice_id = %s AND ended IS NOT NULL), "
            "(SELECT max(id) FROM outreach_sequence WHERE practice_id = %s), "
            "(SELECT max(updated) FROM clients_appointment)",
            [practice_id] * 3)
        extra = tuple(cur.fetchone())
    return inbox_cache.fingerprint(practice_id) + extra


class _ReportCache:
    def __init__(self):
        self.store: dict = {}
        self.lock = threading.Lock()

    def get(self, practice, start, end, compute):
        """The report for `practice` over start..end: kept, or `compute()`d."""
        if connection.in_atomic_block:
            return compute()
        fp = fingerprint(practice.pk)
        key = (practice.pk, start, end)
        hit = self.store.get(key)
        if hit and hit[0] == fp and hit[1] > time.monotonic():
            return hit[2]
        report = compute()
        with self.lock:
            if len(self.store) > 500:
                self.store.clear()
            self.store[key] = (fp, time.monotonic() + TTL, report)
        return report

    def clear(self):
        with self.lock:
            self.store.clear()


report_cache = _ReportCache()
