"""The scan: states and risks for a whole practice, as of a moment.

1. Compute features, the dropout score and the derived state for every
   episode still open or recently ended, in one in-database query, and list
   the upcoming appointments (query.py).
2. Score every upcoming appointment for no-show risk (risk/noshow.py), first
   appointments of episodes not yet started included.
3. Reconcile each derived state with the episode's current one (reconcile.py)
   and record the changes in batches, with their reasons in words
   (state_writes.py: change_state's rules, a short transaction per batch).
4. Store the scores that changed (risk/history.py): a history row and the
   latest per episode only where the risk as shown, its band or its reasons
   moved; the same for each upcoming appointment's no-show score.

A scan is idempotent: run twice with the same facts, it writes nothing the
second time. With `as_of` in the past
it reads only facts dated before then, so it is an honest backtest.
"""

import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
from django.db.models import Max

from stillhere.accounts.models import Practice
from stillhere.clients.models import Episode
from stillhere.features.snapshot import SnapshotError, from_snapshot, read_meta
from stillhere.features.sources import from_django
from stillhere.features.spark import from_snapshot_spark
from stillhere.lib.progress import Progress
from stillhere.risk import default_model, noshow
from stillhere.risk.calibration import weights_for
from stillhere.risk.fitted.use import for_practice as dropout_model
from stillhere.risk import history

from . import output, query
from .defaults import PG_SESSION
from .models import StateChange
from .reconcile import decide
from .rules import Rules
from .state_writes import Move, record_moves
from .transitions import ENDED


@dataclass
class ScanOutcome:
    """What a scan found: `frame` holds one row per episode with the columns
    of a --json object (the upcoming appointments separately, in `ahead`);
    `episodes`, the --json objects themselves, is built from the frames when
    first asked for (the summary line needs only `state_counts`)."""

    as_of: datetime
    changes: int = 0
    scores_written: int = 0      # dropout scores that changed and were stored
    noshows_written: int = 0     # no-show scores that changed and were stored
    frame: pd.DataFrame | None = None
    ahead: pd.DataFrame | None = None
    practice: Practice | None = None
    _episodes: list | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return 0 if self.frame is None else len(self.frame)

    @property
    def episodes(self) -> list[dict]:
        if self._episodes is None:
            self._episodes = output.records(self.practice, self.frame, self.ahead) if len(self) else []
        return self._episodes

    def state_counts(self) -> dict[str, int]:
        if not len(self):
            return {}
        return {str(k): int(v) for k, v in self.frame["state"].value_counts().items()}


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
    (rescan.py: rescan_episodes).

    The rules are decided row by row (reconcile.py); everything stored is
    written in batches, each its own short transaction, and only what
    changed: state changes (state_writes.py), dropout and no-show scores
    (risk/history.py)."""
    progress = progress or Progress(1, stream=io.StringIO())  # not a terminal: draws nothing
    df, upcoming = frames if frames is not None else scored_frame(practice, as_of, snapshot, engine, targeted)
    # The practice's fitted dropout model once it has passed its gate, else the standard one.
    model = dropout_model(practice)
    df = model.rescore(df)
    progress.total = max(len(df), 1)
    progress.advance(0, "Scanning episodes")
    out = ScanOutcome(as_of, practice=practice)
    tz = practice.tz
    ids = df["episode_id"].tolist()
    episodes = _episodes(practice, ids if targeted else None)
    mine = StateChange.objects.filter(practice=practice)
    if targeted:
        mine = mine.filter(episode_id__in=ids)
    overrides = dict(mine.filter(source=StateChange.Source.CLINICIAN)
                     .values("episode_id").annotate(last=Max("at")).values_list("episode_id", "last"))
    latest = _latest_changes(mine)
    by_time = _latest_by_time([e.pk for e in episodes.values() if e.state == Episode.State.ENDED_PLANNED])

    # Each row's reasons in words and the state it should move to: the
    # rules, one row at a time, over rows already in memory (no query).
    records = df.to_dict("records")
    reasons, targets, moves = [], [], []
    for row in records:
        episode = episodes[row["episode_id"]]
        row["reasons"] = model.reasons(row, tz)
        reasons.append(row["reasons"])
        last = latest.get(episode.pk)
        target = decide(episode, row, as_of, overrides.get(episode.pk), tz,
                        checking_safety=bool(last and last[1]), last_by_time=by_time.get(episode.pk))
        targets.append(target)
        if target:
            moves.append(Move(episode.pk, episode.state, episode.started, target))
    progress.advance(len(records) // 2, "Recording state changes")
    moved = record_moves(practice, moves) if store else {}
    out.changes = len(moved)
    for m in moved.values():
        episodes[m.episode_id].state, episodes[m.episode_id].state_since = m.target.state, m.target.at
        latest[m.episode_id] = (m.target.detail[:300], m.target.safety_check)

    # What each episode is now, as columns (the --json fields).
    cur = [episodes[e] for e in ids]
    if store:
        state = [e.state for e in cur]
        since = [e.state_since for e in cur]
        words = [latest.get(e.pk, ("", False))[0] for e in cur]
    else:   # a dry run: what the scan would record
        state = [t.state if t else e.state for e, t in zip(cur, targets)]
        since = [t.at if t else e.state_since for e, t in zip(cur, targets)]
        words = [t.detail if t else latest.get(e.pk, ("", False))[0] for e, t in zip(cur, targets)]
    frame = pd.DataFrame({"episode_id": ids, "client_id": df["client_id"].to_numpy(), "state": state,
                          "state_since": pd.Series(since, dtype=object), "state_reason": words, "risk": df["risk"].astype(float).to_numpy(),
                          "reasons": reasons, "safety_check": df["safety_check"].astype(bool).to_numpy()})
    frame["band"] = [default_model.band(r) for r in frame["risk"].tolist()]
    out.frame = frame

    ahead = upcoming.sort_values(["episode_id", "start_s"], kind="stable", ignore_index=True) if len(upcoming) \
        else upcoming.assign(reasons=[])
    if len(ahead):
        ahead["reasons"] = [noshow.reasons(u) for u in ahead.to_dict("records")]
    out.ahead = ahead
    progress.advance(len(records) // 4, "Storing scores")
    if store:
        scored = frame[~frame["state"].isin(list(ENDED))]
        parts = [model.parts(r) for r, keep in zip(records, (~frame["state"].isin(list(ENDED))).tolist()) if keep]
        out.scores_written = history.store_dropout(
            practice, scored.assign(contributions=parts), as_of, model.version, ids if targeted else None)
        out.noshows_written = history.store_noshow(
            practice, ahead[["appointment_id", "noshow_risk", "reasons"]], as_of,
            weights_for(practice).version, targeted=targeted)
    progress.advance(len(records) - 3 * (len(records) // 4))
    progress.close()
    return out


@dataclass(slots=True)
class _Episode:
    """What the rules read of an episode, without a model object per episode."""

    pk: int
    state: str
    state_since: datetime | None
    started: object


def _episodes(practice: Practice, ids: list | None) -> dict[int, _Episode]:
    """The episodes' stored states in one query (all of the practice's, or these)."""
    qs = Episode.objects.filter(practice=practice)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return {pk: _Episode(pk, st, since, started)
            for pk, st, since, started in qs.values_list("id", "state", "state_since", "started")}


def _latest_by_time(ids: list[int]) -> dict[int, tuple]:
    """{episode id: (new_state, source, reason) of its latest change by time},
    for the episodes an ending might be undone for (reconcile.py), in a few queries."""
    out = {}
    for i in range(0, len(ids), 5000):
        for e, *rest in (StateChange.objects.filter(episode_id__in=ids[i:i + 5000]).order_by("episode_id", "-at", "-id")
                         .values_list("episode_id", "new_state", "source", "reason")):
            out.setdefault(e, tuple(rest))
    return out


def _latest_changes(changes) -> dict[int, tuple[str, bool]]:
    """{episode id: (the words of its latest state change, whether it asks
    for a safety check)}, in one query."""
    last = changes.values("episode_id").annotate(m=Max("id")).values("m")
    return {e: (d, s) for e, d, s in
            StateChange.objects.filter(id__in=last).values_list("episode_id", "detail", "safety_check")}


__all__ = ["scan_practice", "scored_frame", "ScanOutcome", "timedelta"]
