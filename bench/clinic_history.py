"""A generated outpatient-clinic history with a 20–30% no-show rate, for
bench/noshow_quality.py.

Its shape follows what public clinic histories show (and what the therapy
simulator does not): many patients seen once or twice, a third of bookings
made for the same day, lead times with a long tail, ages from children to
the very old, text reminders sent two days ahead for some bookings, times of
day from 07:00 to 18:00. The true no-show log-odds are deliberately *not*
the score's own form: a smooth curve in lead time (log days, not steps), a
smooth age curve, a patient's own hidden propensity (only seen through
their past), a small weekday and hour effect, and a reminder effect.

Returns canonical sources (features/sources.py) in DuckDB.
"""

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa

DAY = 86400
OFFSET = -3 * 3600            # the clinic's local time is UTC-3
WINDOW_DAYS = 210
AS_OF_S = 1_780_000_000 // DAY * DAY   # a midnight UTC in 2026


def clinic_sources(patients: int = 30000, seed: int = 5):
    rng = np.random.default_rng(seed)
    n_appts = np.minimum(1 + rng.geometric(0.42, patients) - 1, 12)
    age = np.concatenate([rng.uniform(0, 15, patients), rng.uniform(15, 36, patients),
                          rng.uniform(36, 65, patients), rng.uniform(65, 96, patients)])
    pick = rng.choice(4, patients, p=[0.2, 0.25, 0.35, 0.2])
    age = age.reshape(4, patients)[pick, np.arange(patients)]
    propensity = rng.normal(0.0, 0.9, patients)
    first_day = rng.integers(0, WINDOW_DAYS - 10, patients)
    start_local_day0 = (AS_OF_S + OFFSET) // DAY - WINDOW_DAYS

    rows = {k: [] for k in ("patient", "day", "minute", "lead", "booked_minute", "status", "reminded")}
    day = first_day.astype(np.int64)
    missed_so_far = np.zeros(patients)
    for k in range(int(n_appts.max())):
        idx = np.flatnonzero((n_appts > k) & (day < WINDOW_DAYS))
        if not idx.size:
            break
        n = idx.size
        same = rng.random(n) < 0.34
        soon = rng.random(n) < 0.12
        lead = np.where(same, 0, np.where(soon, rng.integers(1, 4, n),
                                          np.minimum(3 + rng.exponential(18, n), 120).astype(int)))
        minute = 7 * 60 + 20 * rng.integers(0, 33, n)              # 07:00 to 17:40, every 20 minutes
        booked_minute = np.where(same, 7 * 60 + (rng.random(n) * np.maximum(minute - 7 * 60 - 30, 1)).astype(int),
                                 rng.integers(7 * 60, 17 * 60, n))
        reminded = (lead >= 3) & (rng.random(n) < 0.55)
        d = day[idx]
        weekday = (start_local_day0 + d + 3) % 7
        hour = minute // 60
        a = age[idx]
        age_eff = np.interp(a, [0, 14, 18, 30, 45, 65, 80, 96], [0.1, 0.2, 0.4, 0.35, 0.05, -0.3, -0.45, -0.3])
        lead_eff = np.where(lead == 0, -2.0, 0.55 * np.log1p(lead) - 0.3)
        z = (-1.65 + lead_eff + age_eff + propensity[idx] + 0.25 * np.minimum(missed_so_far[idx], 3)
             - 0.35 * reminded + np.select([weekday == 0, weekday == 4, weekday == 5], [0.1, 0.05, 0.25], 0.0)
             + np.where(hour < 9, 0.15, np.where(hour >= 16, 0.1, 0.0)))
        p = 1 / (1 + np.exp(-z))
        u = rng.random(n)
        status = np.where(rng.random(n) < 0.06, "cancelled", np.where(u < p, "no_show", "attended"))
        missed_so_far[idx] += status == "no_show"
        for key, val in (("patient", idx), ("day", d), ("minute", minute), ("lead", lead),
                         ("booked_minute", booked_minute), ("status", status), ("reminded", reminded)):
            rows[key].append(val)
        day[idx] = d + rng.integers(7, 60, n)

    r = {k: np.concatenate(v) for k, v in rows.items()}
    local_start = (start_local_day0 + r["day"]) * DAY + r["minute"] * 60
    start_s = local_start - OFFSET
    booked_s = (start_local_day0 + r["day"] - r["lead"]) * DAY + r["booked_minute"] * 60 - OFFSET
    booked_s = np.minimum(booked_s, start_s - 600)
    n = len(start_s)
    cancelled = r["status"] == "cancelled"
    appointments = pd.DataFrame({
        "appointment_id": np.arange(1, n + 1), "episode_id": r["patient"] + 1, "start_s": start_s,
        "booked_s": booked_s, "cancelled_s": np.where(cancelled, start_s - 2 * DAY, start_s).astype("int64"),
        "status": r["status"], "minutes_late": 0, "hard": 0, "rupture": 0, "checkin": 0,
        "episode_ended_s": pd.array([None] * n, dtype="Int64")})
    appointments.loc[~cancelled, "cancelled_s"] = None
    appointments["cancelled_s"] = appointments["cancelled_s"].astype("Int64")
    episodes = pd.DataFrame({"episode_id": np.arange(1, patients + 1), "client_id": np.arange(1, patients + 1),
                             "ended_s": pd.array([None] * patients, dtype="Int64")})
    clients = pd.DataFrame({"client_id": np.arange(1, patients + 1),
                            "birth_s": (AS_OF_S - age * 365.25 * DAY).astype("int64")})
    sent = r["reminded"]
    reminders = pd.DataFrame({"appointment_id": appointments.appointment_id[sent],
                              "sent_s": ((start_local_day0 + r["day"][sent] - 2) * DAY + 10 * 3600 - OFFSET)})
    con = ibis.duckdb.connect()
    t = {}
    for name, df in (("appointments", appointments), ("episodes", episodes), ("clients", clients),
                     ("reminders", reminders)):
        con.con.register(name, pa.Table.from_pandas(df, preserve_index=False))
        t[name] = con.table(name)
    from stillhere.features.sources import Sources

    src = Sources(t["appointments"], t["episodes"], t["clients"], None, None, backend=con,
                  reminders=t["reminders"])
    return src, AS_OF_S, OFFSET


MAPPING = """# The generated clinic export (bench/clinic_history.py), in the shape of a
# public no-show data set, mapped onto stillhere's generic CSV.
[appointments.columns]
appointment_id = "AppointmentID"
client_id = "PatientId"
booked_at = "ScheduledDay"
start = "AppointmentDay"
status = "Status"
cancelled_at = "CancelledAt"
clinician = "Doctor"

[appointments.statuses]
"Show" = "attended"
"No-show" = "no_show"
"Cancelled" = "cancelled"


# A column our generic file has no place for: the practice's own signal.
[appointments.signals]
sms_received = "SMS_received"

[clients.columns]
client_id = "PatientId"
first_name = "FirstName"
last_name = "LastName"
birth_date = "BirthDate"

# A group the fairness report checks the dropout model against; never an input of any score.
[clients.groups]
gender = "Gender"
"""


def write_export(folder, patients: int = 30000, seed: int = 5):
    """The same history as an export a clinic's system might write
    (appointments.csv, patients.csv) and the mapping file that imports it
    (mapping.toml): `stillhere import appointments appointments.csv
    --clients patients.csv --mapping mapping.toml`."""
    from pathlib import Path

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    src, as_of_s, offset = clinic_sources(patients, seed)
    a = src.appointments.to_pyarrow().to_pandas()
    c = src.clients.to_pyarrow().to_pandas()
    sent = set(src.reminders.to_pyarrow().to_pandas().appointment_id)

    def iso(s):
        return pd.to_datetime(s, unit="s", utc=True).dt.strftime("%Y-%m-%dT%H:%M:%SZ")

    status = a.status.map({"attended": "Show", "no_show": "No-show", "cancelled": "Cancelled"})
    pd.DataFrame({
        "AppointmentID": "A" + a.appointment_id.astype(str), "PatientId": "P" + a.episode_id.astype(str),
        "ScheduledDay": iso(a.booked_s), "AppointmentDay": iso(a.start_s), "Status": status,
        "CancelledAt": iso(np.maximum(a.cancelled_s.astype("float64"), a.booked_s + 60)).fillna(""),
        "Doctor": "doctor" + (a.episode_id % 25).astype(str) + "@clinic.example",
        "SMS_received": a.appointment_id.isin(sent).astype(int),
    }).to_csv(folder / "appointments.csv", index=False)
    pd.DataFrame({
        "PatientId": "P" + c.client_id.astype(str), "FirstName": "Patient", "LastName": c.client_id.astype(str),
        "BirthDate": pd.to_datetime(c.birth_s, unit="s").dt.strftime("%Y-%m-%d"),
        # As in the public data set: F or M, about two women to each man (drawn apart from the history).
        "Gender": np.random.default_rng(seed + 1).choice(["F", "M"], len(c), p=[0.65, 0.35]),
    }).to_csv(folder / "patients.csv", index=False)
    (folder / "mapping.toml").write_text(MAPPING)
    return folder, as_of_s, offset


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description="Write the generated clinic history as a CSV export with its mapping file.")
    ap.add_argument("folder")
    ap.add_argument("--patients", type=int, default=30000)
    ap.add_argument("--seed", type=int, default=5)
    args = ap.parse_args()
    folder, _, _ = write_export(args.folder, args.patients, args.seed)
    print(f"wrote {folder}/appointments.csv, patients.csv and mapping.toml")
