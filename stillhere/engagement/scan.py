"""The scan: states and risks for a whole practice, as of a moment.

1. Compute features, the dropout score and the derived state for every
   episode still open or recently ended, in one in-database query, and list
   the upcoming appointments (query.py).
2. Score every upcoming appointment for no-show risk (risk/noshow.py), first
   appointments of episodes not yet started included.
3. Reconcile each derived state with the episode's current one (reconcile.py)
   and record every change through `change_state`, with its reason in words.
4. Store the scores: history rows plus the latest per episode.

A scan is idempotent: run twice with the same facts, it changes nothing the
second time (scores are stored again as history). With `as_of` in the past
it reads only facts dated before then, so it is an honest backtest.
"""

import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from pathlib import Path

import pandas as pd
from django.db import transaction
from django.db.models import Max

from stillhere.accounts.models import Practice
from stillhere.clients.models import Appointment, Episode
from stillhere.features.snapshot import SnapshotError, from_snapshot, read_meta
from stillhere.features.sources import from_django
from stillhere.features.spark import from_snapshot_spark
from stillhere.lib.progress import Progress
from stillhere.risk import default_model, noshow
from stillhere.risk.calibration import weights_for
from stillhere.risk.fitted.use import for_practice as dropout_model
from stillhere.risk.models import CurrentRisk, NoShowRisk, RiskScore

from . import query
from .defaults import PG_SESSION
from .models import StateChange
from .reconcile import decide
from .rules import Rules
from .transitions import ENDED, change_state


@dataclass
class ScanOutcome:
    as_of: datetime
    episodes: list[dict] = field(default_factory=list)   # the --json objects
    changes: int = 0


def scored_frame(practice: Practice, as_of: datetime, snapshot: Path | None = None,
                 engine: str = "duckdb", targeted: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Features, scores and derived states for the practice's episodes, and
    no-show scores for their upcoming appointments, as of `as_of`: in the
    database, or over a snapshot of it (`stillhere snapshot`) in DuckDB or
    Spark (`engine`). `targeted`: only the clients a rescan listed (rescan.py)."""
    T = int(as_of.timestamp())
    if snapshot is None:
        src = from_django(practice.id, targeted=targeted)
        if src.backend.name == "postgres":
            src.backend.raw_sql(PG_SESSION)
    else:
        _check_snapshot(snapshot, practice, as_of)
        src = from_snapshot(snapshot) if engine == "duckdb" else from_snapshot_spark(snapshot)
    rules = Rules.for_practice(practice)
    offset = int(as_of.astimezone(practice.tz).utcoffset().total_seconds())
    key = (src.backend.name, snapshot is not None, practice.id, rules, default_model.MODEL_VERSION, targeted)
    df, noshows = query.scan_frames(src, T, key, rules, offset, weights_for(practice))
    if not isinstance(df, pd.DataFrame):
        df = df.to_pandas()
    # In episode order, whatever order the engine finished in: the same
    # facts give the same --json, line for line.
    return df.sort_values("episode_id", ignore_index=True), noshows


def snapshot_written_at(folder: Path) -> datetime:
    """When the snapshot's facts were read: the latest moment it can be scanned as of."""
    return datetime.fromisoformat(read_meta(folder)["written_at"])


def _check_snapshot(folder: Path, practice: Practice, as_of: datetime) -> None:
    meta = read_meta(folder)
    if meta.get("practice_id") != practice.id:
        raise SnapshotError(f"{folder} holds the facts of practice {meta.get('practice')!r}, not {practice.slug!r}.")
    written = datetime.fromisoformat(meta["written_at"])
    if as_of > written:
        raise SnapshotError(
            f"The snapshot in {folder} was written at {written:%Y-%m-%d %H:%M %Z}; a scan as of a later moment "
            "would miss what has happened since. Write a new one (stillhere snapshot) or scan --as-of no "
            "later than that.")


def scan_practice(practice: Practice, as_of: datetime, store: bool = True,
                  progress: Progress | None = None, snapshot: Path | None = None,
                  engine: str = "duckdb", frames: tuple | None = None, targeted: bool = False) -> ScanOutcome:
    """`frames`: this practice's part of a scan of many (platform_scan.py).
    `targeted`: the same scan, restricted to the clients a rescan listed
    (rescan.py: rescan_episodes)."""
    progress = progress or Progress(1, stream=io.StringIO())  # not a terminal: draws nothing
    df, upcoming = frames if frames is not None else scored_frame(practice, as_of, snapshot, engine, targeted)
    # The practice's fitted dropout model once it has passed its gate, else the standard one.
    model = dropout_model(practice)
    df = model.rescore(df)
    progress.total = max(len(df), 1)
    progress.advance(0, "Scanning episodes")
    out = ScanOutcome(as_of)
    tz = practice.tz
    episodes = Episode.objects.in_bulk(df["episode_id"].tolist())
    ext = dict(Appointment.objects.filter(id__in=upcoming["appointment_id"].tolist())
               .values_list("id", "external_id"))
    client_ext = dict(practice.clients.filter(id__in=df["client_id"].tolist()).values_list("id", "external_id"))
    # Each upcoming appointment's JSON and stored score from one pass over a
    # frame sorted once: no per-episode pandas sort (it was half of a
    # 100k-client scan), and each reason list worked out once.
    by_episode, noshow_rows = {}, []
    ordered = upcoming.sort_values(["episode_id", "start_s"], kind="stable") if len(upcoming) else upcoming
    for u in ordered.to_dict("records"):
        u["reasons"] = noshow.reasons(u)
        noshow_rows.append(u)
        by_episode.setdefault(u["episode_id"], []).append(u)
    mine = StateChange.objects.filter(practice=practice)
    if targeted:
        mine = mine.filter(episode_id__in=list(episodes))
    overrides = dict(mine.filter(source=StateChange.Source.CLINICIAN)
                     .values("episode_id").annotate(last=Max("at")).values_list("episode_id", "last"))
    state_reasons = _state_reasons(mine)

    scores, current, noshows = [], [], []
    noshow_version = weights_for(practice).version
    with transaction.atomic():
        for row in df.to_dict("records"):
            episode = episodes[row["episode_id"]]
            row["reasons"] = model.reasons(row, tz)
            target = decide(episode, row, as_of, overrides.get(episode.pk), tz)
            if target and store:
                changed = change_state(episode, target.state, target.reason, detail=target.detail,
                                       at=target.at, safety_check=target.safety_check)
                if changed:
                    out.changes += 1
                    state_reasons[episode.pk] = changed.detail
            risk = float(row["risk"])
            band = default_model.band(risk)
            ups = by_episode.get(row["episode_id"])
            out.episodes.append({
                "client_id": client_ext.get(row["client_id"], ""),
                "episode_id": episode.external_id or str(episode.pk),
                "state": episode.state if store else (target.state if target else episode.state),
                "state_since": _iso(episode.state_since) if store or not target else _iso(target.at),
                # The words of the latest state change (what the inbox says).
                "state_reason": (target.detail if target and not store else state_reasons.get(episode.pk, "")),
                "risk": round(risk, 4),
                "band": band,
                "reasons": row["reasons"],
                "safety_check": bool(row["safety_check"]),
                "upcoming": [] if ups is None else [
                    {"appointment_id": ext.get(u["appointment_id"], "") or str(u["appointment_id"]),
                     "start": _iso(datetime.fromtimestamp(int(u["start_s"]), dt_timezone.utc)),
                     "noshow_risk": round(float(u["noshow_risk"]), 4),
                     "reasons": u["reasons"]}
                    for u in ups],
            })
            if episode.state not in ENDED:
                contrib = model.parts(row)
                scores.append(RiskScore(practice=practice, episode=episode, as_of=as_of, risk=risk, band=band,
                                        reasons=row["reasons"], contributions=contrib,
                                        model_version=model.version))
                current.append(CurrentRisk(episode=episode, practice=practice, as_of=as_of, risk=risk, band=band,
                                           reasons=row["reasons"], model_version=model.version))
            progress.advance()
        for u in noshow_rows:
            noshows.append(NoShowRisk(practice=practice, appointment_id=u["appointment_id"], as_of=as_of,
                                      moment=NoShowRisk.Moment.SCAN, probability=float(u["noshow_risk"]),
                                      reasons=u["reasons"], model_version=noshow_version))
        if store:
            RiskScore.objects.bulk_create(scores, batch_size=2000)
            NoShowRisk.objects.bulk_create(noshows, batch_size=2000)
            CurrentRisk.objects.bulk_create(
                current, batch_size=2000, update_conflicts=True, unique_fields=["episode"],
                update_fields=["as_of", "risk", "band", "reasons", "model_version"])
    progress.close()
    return out


def _state_reasons(changes) -> dict[int, str]:
    """{episode id: the words of its latest state change}, in one query."""
    last = changes.values("episode_id").annotate(m=Max("id")).values("m")
    return dict(StateChange.objects.filter(id__in=last).values_list("episode_id", "detail"))


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(dt_timezone.utc).isoformat().replace("+00:00", "Z") if value else None


__all__ = ["scan_practice", "scored_frame", "ScanOutcome", "timedelta"]
