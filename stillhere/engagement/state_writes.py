"""A scan's state changes, recorded in batches with `change_state`'s rules.

`change_state` (transitions.py) moves one episode: a conditional UPDATE on
the state it read, the episode's end recorded (or cleared) with the move,
and a StateChange row (the history and the outreach queue). A scan of a
large practice moves thousands at once; one at a time, each with its own
savepoint, inside one long transaction, it kept episodes locked for
minutes. Here the same three things happen per batch of episodes, in one
short transaction each:

1. one UPDATE ... FROM a list of (episode, state read, new state, ...),
   conditional on the state read, RETURNING the episodes it moved: an
   episode another process (a clinician, outreach) changed meanwhile is
   left alone, as change_state leaves it;
2. the end of an episode moving into an ended state is recorded unless it
   has one (its date in the practice's zone, never before it started, and
   why), and cleared when an episode moves out of an ended state;
3. one StateChange row per episode moved, unprocessed, so the outreach
   tick picks up the new missed/lapsed/safety changes as before.
"""

from dataclasses import dataclass
from datetime import date

from django.db import connection, transaction
from django.utils import timezone

from stillhere.clients.models import Episode
from stillhere.lib.rowcopy import chunks, insert_rows

from .models import StateChange
from .reconcile import Target
from .transitions import END_REASON_FOR, ENDED

BATCH = 2000
KEEP, SET_END, CLEAR_END = 0, 1, 2


@dataclass
class Move:
    episode_id: int
    old_state: str
    started: date
    target: Target


def record_moves(practice, moves: list[Move]) -> dict[int, Move]:
    """Move the episodes; returns {episode id: move} of those moved."""
    tz = practice.tz
    moves = [m for m in moves if m.target.state != m.old_state or m.target.safety_check]
    done = {}
    for batch in chunks(moves, BATCH):
        with transaction.atomic():
            moved = _update(batch, tz)
            rows = [m for m in batch if m.episode_id in moved]
            created = timezone.now()
            insert_rows(StateChange._meta.db_table,
                        ["practice_id", "episode_id", "old_state", "new_state", "reason", "detail", "at", "created",
                         "source", "note", "safety_check"],
                        [(practice.pk, m.episode_id, m.old_state, m.target.state, m.target.reason,
                          m.target.detail[:300], m.target.at, created, StateChange.Source.SCAN.value, "",
                          bool(m.target.safety_check)) for m in rows])
        done.update((m.episode_id, m) for m in rows)
    return done


def _end(m: Move, tz) -> tuple[int, date | None, str]:
    """How the move touches the episode's recorded end (transitions.py's rule)."""
    new, t = m.target.state, m.target
    if new in ENDED:
        reason = t.reason if t.reason in Episode.EndReason.values else END_REASON_FOR[new]
        return SET_END, max(t.at.astimezone(tz).date(), m.started), reason
    if m.old_state in ENDED:
        return CLEAR_END, None, ""
    return KEEP, None, ""


def _update(batch: list[Move], tz) -> set[int]:
    ops, pg = connection.ops, connection.vendor == "postgresql"
    row = "(%s::bigint, %s, %s, %s::timestamptz, %s::int, %s::date, %s)" if pg else "(%s, %s, %s, %s, %s, %s, %s)"
    params = []
    for m in batch:
        mode, ended, reason = _end(m, tz)
        params += [m.episode_id, m.old_state, m.target.state, ops.adapt_datetimefield_value(m.target.at), mode,
                   ops.adapt_datefield_value(ended), reason]
    t = ops.quote_name(Episode._meta.db_table)
    # Columns of the list are named by the CTE on both databases.
    sql = (f"WITH v (id, old_state, new_state, at, mode, ended, end_reason) AS (VALUES {', '.join([row] * len(batch))}) "
           f"UPDATE {t} SET state = v.new_state, state_since = v.at, "
           f"ended = CASE WHEN v.mode = {SET_END} AND {t}.ended IS NULL THEN v.ended "
           f"WHEN v.mode = {CLEAR_END} THEN NULL ELSE {t}.ended END, "
           f"end_reason = CASE WHEN v.mode = {SET_END} AND {t}.ended IS NULL THEN v.end_reason "
           f"WHEN v.mode = {CLEAR_END} THEN '' ELSE {t}.end_reason END "
           f"FROM v WHERE {t}.id = v.id AND {t}.state = v.old_state RETURNING {t}.id")
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return {r[0] for r in cur.fetchall()}


__all__ = ["Move", "record_moves"]
