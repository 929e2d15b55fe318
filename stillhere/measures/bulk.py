"""Write a whole frame of measure results at once (simulator, demo).

The frame is the simulator's `measures` table: `client_id` (the client's
external id), `date`, `instrument`, `total`, and optionally `items` (a list
or a ";"-separated string) and `external_id`. Every row is validated by the
instrument registry first; one bad row refuses the whole frame with its row
number, and nothing is written. Each result is tied to the attended session
on its date, or else to the episode running then.
"""

import numpy as np
import pandas as pd
from django.db import transaction
from django.utils import timezone

from stillhere.audit.events import MeasuresLoaded, record
from stillhere.clients.models import Appointment, Client, Episode
from stillhere.lib import bulk

from .custom import registry_for
from .models import MeasureResult
from .scoring import ScoringError, get_instrument, score

def _items(value):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, str):
        return [v for v in value.split(";")] if value.strip() else None
    return list(value)


def _validate(frame: pd.DataFrame, registry) -> pd.DataFrame:
    """Scored totals and items per row; totals alone are checked per instrument
    with array arithmetic, which keeps a 40,000-client practice quick."""
    out = frame.copy()
    out["instrument"] = out["instrument"].astype(str)
    out["total"] = pd.to_numeric(out["total"], errors="coerce")
    has_items = "items" in out.columns
    out["items_list"] = out["items"].map(_items) if has_items else None
    for raw in out["instrument"].unique():
        rows = out.index[out["instrument"] == raw]
        try:
            inst = get_instrument(raw, registry)
        except ScoringError as e:
            raise ScoringError(e.instrument, e.field, f"row {rows[0] + 1}: {e.reason}") from None
        out.loc[rows, "instrument"] = inst.code
        tot = out.loc[rows, "total"].to_numpy(dtype=float)
        itemised = out.loc[rows, "items_list"].notna().to_numpy() if has_items else np.zeros(len(rows), bool)
        bad = ~itemised & (np.isnan(tot) | (tot < inst.total_low - 1e-9) | (tot > inst.total_high + 1e-9))
        if inst.scoring == "sum":
            k = (tot - inst.total_low) / inst.step
            bad |= ~itemised & ~np.isnan(tot) & (np.abs(np.round(k) - k) > 1e-6)
        for pos in np.flatnonzero(bad | itemised):
            i = rows[pos]
            try:
                s = score(inst.code, items=out.at[i, "items_list"] if itemised[pos] else None,
                          total=out.at[i, "total"], registry=registry)
            except ScoringError as e:
                where = f"item {e.item}" if e.item else e.field
                raise ScoringError(inst.code, e.field, f"row {i + 1} ({where}): {e.reason}", None) from None
            out.at[i, "total"] = s.total
            out.at[i, "items_list"] = list(s.items) if s.items is not None else None
    return out


def _insert(practice, df: pd.DataFrame, ext: pd.Series, source: str) -> None:
    """Through lib/bulk.py, the importer's writer: COPY on PostgreSQL, large
    executemany batches on SQLite (bulk_create spent most of its time
    preparing values field by field)."""
    items = [v if isinstance(v, list) else None for v in df["items_list"]] if "items_list" in df \
        else [None] * len(df)
    ep = df["episode_pk"].astype("Int64").astype(object).where(df["episode_pk"].notna(), None)
    ap = df["appointment_pk"].astype("Int64").astype(object).where(df["appointment_pk"].notna(), None)
    table = bulk.Table(MeasureResult, columns=["practice_id", "client_id", "episode_id", "appointment_id",
                                               "instrument", "taken_on", "total", "items", "external_id",
                                               "source", "created"])
    now = timezone.now()
    keys = ("client_id", "episode_id", "appointment_id", "instrument", "taken_on", "total", "items", "external_id")
    bulk.insert(table, [{"practice_id": practice.pk, "source": source, "created": now, **dict(zip(keys, r))}
                        for r in zip(df["client_pk"].astype(int).tolist(), ep.tolist(), ap.tolist(),
                                     df["instrument"].tolist(), df["day"].tolist(), df["total"].astype(float).tolist(),
                                     items, ext.tolist())])


@transaction.atomic
def load_measures(practice, frame: pd.DataFrame, source: str = "simulator") -> dict:
    """Validate and store every row of `frame` for `practice`; returns counts."""
    if frame is None or len(frame) == 0:
        return {"measures": 0}
    frame = frame.reset_index(drop=True)
    missing = {"client_id", "date", "instrument", "total"} - set(frame.columns)
    if missing:
        raise ValueError(f"The measures frame has no {sorted(missing)[0]!r} column.")
    df = _validate(frame, registry_for(practice))
    df["client_ext"] = df["client_id"].astype(str)
    df["day"] = pd.to_datetime(df["date"]).dt.date

    client_pk = dict(Client.objects.filter(practice=practice)
                     .with_record_numbers(df["client_ext"].unique().tolist())
                     .values_list("external_id", "pk"))
    unknown = df.index[~df["client_ext"].isin(list(client_pk))]
    if len(unknown):
        raise ValueError(f"row {unknown[0] + 1}: no client with that client_id in this practice.")
    df["client_pk"] = df["client_ext"].map(client_pk)

    # Each result belongs to the attended session on its (local) date.
    appts = pd.DataFrame(Appointment.objects.filter(practice=practice, status=Appointment.Status.ATTENDED,
                                                    episode__client_id__in=list(client_pk.values()))
                         .values_list("id", "episode_id", "episode__client_id", "start"),
                         columns=["appointment_pk", "episode_pk", "client_pk", "start"])
    if len(appts):
        appts["day"] = pd.to_datetime(appts["start"], utc=True).dt.tz_convert(practice.timezone).dt.date
        appts = appts.drop_duplicates(["client_pk", "day"], keep="last")
        df = df.merge(appts[["client_pk", "day", "appointment_pk", "episode_pk"]], on=["client_pk", "day"],
                      how="left")
    else:
        df["appointment_pk"] = np.nan
        df["episode_pk"] = np.nan

    # Without a session that day, the episode that had started by then.
    loose = df["episode_pk"].isna()
    if loose.any():
        eps = pd.DataFrame(Episode.objects.filter(practice=practice, client_id__in=df.loc[loose, "client_pk"]
                                                  .unique().tolist()).values_list("id", "client_id", "started"),
                           columns=["ep", "client_pk", "started"])
        if len(eps):
            eps["started"] = pd.to_datetime(eps["started"])
            left = df.loc[loose, ["client_pk", "day"]].assign(t=lambda d: pd.to_datetime(d["day"]))
            left = left.reset_index().sort_values("t")
            m = pd.merge_asof(left, eps.sort_values("started"), left_on="t", right_on="started", by="client_pk")
            df.loc[m["index"].to_numpy(), "episode_pk"] = m["ep"].to_numpy()

    ext = df["external_id"].fillna("").astype(str) if "external_id" in df.columns else pd.Series("", index=df.index)
    _insert(practice, df, ext, source)
    counts = {"measures": len(df)}
    for code, n in df["instrument"].value_counts().items():
        counts[code] = int(n)
    record(MeasuresLoaded(practice=practice, counts=counts))
    return counts
