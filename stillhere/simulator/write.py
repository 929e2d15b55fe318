"""Write a simulated practice as the generic CSV import files and as Parquet.

CSV is what a therapist's EHR export would look like (see README, "Generic
CSV"); Parquet is the analytics snapshot the feature layer scans with DuckDB.
"""

from pathlib import Path

import pandas as pd

from .generate import SimulatedPractice

TABLES = ("clinicians", "clients", "episodes", "appointments", "measures", "truth", "truth_episodes")


def _iso(ts: pd.Series, tz: str) -> pd.Series:
    """ISO 8601 with the practice's local offset, as an EHR would export it."""
    local = ts.dt.tz_convert(tz)
    return local.dt.strftime("%Y-%m-%dT%H:%M:%S%z").str.replace(r"(\d\d)(\d\d)$", r"\1:\2", regex=True)


def appointments_csv_frame(a: pd.DataFrame, clients: pd.DataFrame, tz: str) -> pd.DataFrame:
    clients = clients.set_index("client_id")
    names = (clients["first_name"] + " " + clients["last_name"]).reindex(a["client_id"]).values
    return pd.DataFrame({
        "appointment_id": a["appointment_id"],
        "client_id": a["client_id"],
        "clinician": a["clinician"],
        "start": _iso(a["start"], tz),
        "status": a["status"],
        "client_name": names,
        "booked_at": _iso(a["booked_at"], tz),
        "duration_min": a["duration_min"],
        "late_minutes": a["late_minutes"],
        "cancelled_at": _iso(pd.to_datetime(a["cancelled_at"], utc=True), tz).fillna(""),
        "episode_id": a["episode_id"],
        "session_type": a["session_type"],
        "marker": a["marker"],
    })


def _microseconds(df: pd.DataFrame) -> pd.DataFrame:
    """Timestamps at microsecond precision: every engine reads that (DuckDB's
    nanosecond time-zone type is not understood by Ibis)."""
    cols = {c: f"datetime64[us, {df[c].dt.tz}]" for c in df.columns
            if isinstance(df[c].dtype, pd.DatetimeTZDtype)}
    return df.astype(cols) if cols else df


def write_practice(sim: SimulatedPractice, out: Path, csv: bool = True, parquet: bool = True) -> dict:
    """Write every table; returns {name: row count}."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name in TABLES:
        df = getattr(sim, name)
        counts[name] = len(df)
        if parquet:
            _microseconds(df).to_parquet(out / f"{name}.parquet", index=False)
    if csv:
        write_csv(out, sim.clients, sim.appointments, sim.measures, sim.timezone)
    return counts


def write_csv(out: Path, clients: pd.DataFrame, appointments: pd.DataFrame, measures: pd.DataFrame,
              tz: str) -> None:
    """clients.csv, appointments.csv and measures.csv in the generic import schema."""
    clients.to_csv(out / "clients.csv", index=False)
    appointments_csv_frame(appointments, clients, tz).to_csv(out / "appointments.csv", index=False)
    # The practice's own files say which client, not which episode: the
    # importer links each rating to the session on its date.
    measures.drop(columns="episode_id", errors="ignore").to_csv(out / "measures.csv", index=False)
