"""Stored scores kept as changes: a scan writes a score only where it moved.

A morning scan scores every open episode and every upcoming appointment.
Storing each of them every day would grow the history by a row per episode
and per appointment per scan (about 36 million rows a year for a
100,000-client practice) while telling nobody anything new. So a scan
compares its scores with the stored ones, in one query, and writes:

- a dropout score (RiskScore history row, and CurrentRisk, the latest per
  episode) when the risk as a clinician sees it (whole percent, as the
  client page shows it), its band, its reasons or the model that made it
  changed;
- a no-show score (NoShowRisk, scan moment) when the appointment's newest
  stored score (at booking or by a scan) differs in whole percent, in its
  reasons or in its model.

So each row says when the score became what it is; a chart of the history
is a step line, and the newest row of each is the score now.

Retention: history older than SCORE_HISTORY_DAYS (setting, default 730) is
removed by the worker's daily housekeeping, except each episode's and each
appointment's newest row, which is still its current score.
"""

import json
from datetime import datetime, timedelta

import pandas as pd
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from stillhere.lib.rowcopy import chunks, insert_rows, upsert_rows

from .models import CurrentRisk, NoShowRisk, RiskScore

BATCH = 5000   # rows per transaction: each commits in well under a second
DEFAULT_HISTORY_DAYS = 730


def shown(risk: float) -> int:
    """The risk as a person reads it: a whole percent (client page, reminders)."""
    return int(round(float(risk) * 100))


def history_days() -> int:
    return int(getattr(settings, "SCORE_HISTORY_DAYS", DEFAULT_HISTORY_DAYS))


def store_dropout(practice, scores: pd.DataFrame, as_of: datetime, version: str, episode_ids=None) -> int:
    """Store the dropout scores that changed; returns how many.

    `scores`: episode_id, risk, band, reasons (list), contributions (dict).
    `episode_ids`: the episodes a targeted rescan covers (None: the practice)."""
    stored = CurrentRisk.objects.filter(practice=practice)
    if episode_ids is not None:
        stored = stored.filter(episode_id__in=list(episode_ids))
    now = {e: (shown(r), b, list(rs or []), v)
           for e, r, b, rs, v in stored.values_list("episode_id", "risk", "band", "reasons", "model_version")}
    changed = []
    for e, r, b, rs, parts in zip(scores["episode_id"].tolist(), scores["risk"].tolist(), scores["band"].tolist(),
                                  scores["reasons"].tolist(), scores["contributions"].tolist()):
        if now.get(e) != (shown(r), b, rs, version):
            changed.append((e, float(r), b, rs, parts))
    created = timezone.now()
    for batch in chunks(changed, BATCH):
        with transaction.atomic():
            insert_rows(RiskScore._meta.db_table,
                        ["practice_id", "episode_id", "as_of", "risk", "band", "reasons", "contributions",
                         "model_version", "created"],
                        [(practice.pk, e, as_of, r, b, rs, parts, version, created) for e, r, b, rs, parts in batch])
            upsert_rows(CurrentRisk._meta.db_table,
                        ["episode_id", "practice_id", "as_of", "risk", "band", "reasons", "model_version"], "episode_id",
                        [(e, practice.pk, as_of, r, b, rs, version) for e, r, b, rs, _ in batch],
                        json_columns={"reasons"})
    return len(changed)


def store_noshow(practice, scores: pd.DataFrame, as_of: datetime, version: str, targeted: bool = False) -> int:
    """Store the scan's no-show scores that changed; returns how many.

    `scores`: appointment_id, noshow_risk, reasons (list). `targeted`: a
    rescan's few appointments (compared with theirs only)."""
    if scores.empty:
        return 0
    newest = _newest_noshow(practice, as_of, scores["appointment_id"].tolist() if targeted else None)
    changed = []
    for a, p, rs in zip(scores["appointment_id"].tolist(), scores["noshow_risk"].tolist(), scores["reasons"].tolist()):
        if newest.get(a) != (shown(p), rs, version):
            changed.append((a, float(p), rs))
    created = timezone.now()
    for batch in chunks(changed, BATCH):
        with transaction.atomic():
            insert_rows(NoShowRisk._meta.db_table,
                        ["practice_id", "appointment_id", "as_of", "moment", "probability", "reasons", "model_version",
                         "created"],
                        [(practice.pk, a, as_of, NoShowRisk.Moment.SCAN.value, p, rs, version, created)
                         for a, p, rs in batch])
    return len(changed)


def _newest_noshow(practice, as_of: datetime, ids: list | None = None) -> dict:
    """{appointment id: (whole percent, reasons, version)} of the newest stored
    score of each appointment still to come (or of these), in one query."""
    q = connection.ops.quote_name
    t, appt = q(NoShowRisk._meta.db_table), q("clients_appointment")
    only = f" AND n.appointment_id IN ({', '.join(['%s'] * len(ids))})" if ids else ""
    sql = (f"SELECT appointment_id, probability, reasons, model_version FROM {t} WHERE id IN ("
           f"SELECT max(n.id) FROM {t} n JOIN {appt} a ON a.id = n.appointment_id "
           f"WHERE n.practice_id = %s AND a.start >= %s{only} GROUP BY n.appointment_id)")
    since = connection.ops.adapt_datetimefield_value(as_of - timedelta(days=1))
    with connection.cursor() as cur:
        cur.execute(sql, [practice.pk, since, *(ids or [])])
        rows = cur.fetchall()
    # jsonb comes back decoded from PostgreSQL, as text from SQLite.
    return {a: (shown(p), list((json.loads(rs) if isinstance(rs, str) else rs) or []), v) for a, p, rs, v in rows}


def purge_history(now: datetime, days: int | None = None) -> tuple[int, int]:
    """Remove scores stored more than `days` (SCORE_HISTORY_DAYS) before `now`,
    keeping each episode's and appointment's newest; returns (dropout, no-show)
    rows removed. Run daily by the worker's housekeeping."""
    cutoff = now - timedelta(days=history_days() if days is None else days)
    removed = []
    for model, key in ((RiskScore, "episode_id"), (NoShowRisk, "appointment_id")):
        t = connection.ops.quote_name(model._meta.db_table)
        sql = (f"DELETE FROM {t} WHERE as_of < %s AND id NOT IN (SELECT max(id) FROM {t} GROUP BY {key})")
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, [connection.ops.adapt_datetimefield_value(cutoff)])
            removed.append(cur.rowcount)
    return removed[0], removed[1]


__all__ = ["store_dropout", "store_noshow", "purge_history", "shown", "history_days", "DEFAULT_HISTORY_DAYS"]
