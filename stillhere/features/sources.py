"""The facts the feature layer reads, in one canonical shape, from any engine.

The features are defined once (episode.py) over five tables with these
columns; this module is the only place that knows where they come from:

- appointments: appointment_id, episode_id, start_s, booked_s, cancelled_s,
  status, minutes_late, hard (0/1), rupture (0/1), checkin (0/1), final (0/1:
  a final session; optional, absent from older snapshots and the simulator),
  episode_ended_s (the episode's end, null while open: lets a scan pass over
  long-closed episodes' appointments without joining, and a snapshot sorted
  by it lets DuckDB skip them unread)
- episodes: episode_id, client_id, clinician_id, started_s, ended_s, end_reason,
  previous_id, state
- clients: client_id, safety_s (epoch seconds the concern was noted, or null
  when there is none), avoidant, conflict_avoidant, people_pleasing (0/1)
- measures: client_id, episode_id, instrument, taken_s, total, previous_total,
  episode_ended_s (each rating belongs to the episode it was taken in, and
  carries the total of the one before it on the same instrument in that
  episode, and the episode's end as appointments do)
- breaks: episode_id, starts_s, ends_s

Times are integer seconds since 1970 (UTC), which every engine (SQLite,
PostgreSQL, DuckDB, Spark) compares and subtracts the same way.

Sources: the operational database through Django's own connection (so a
scan sees exactly what the ORM sees, inside the same transaction), or a
folder of Parquet files (the simulator's output, or a snapshot) in DuckDB.
"""

import contextlib
from dataclasses import dataclass
from pathlib import Path

import ibis
import ibis.expr.datatypes as dt
from ibis import _
from ibis.backends.sqlite import Backend as SQLiteBackend
from ibis.backends.sqlite.udf import register_all

DAY = 86400


@dataclass
class Sources:
    appointments: ibis.Table
    episodes: ibis.Table
    clients: ibis.Table
    measures: ibis.Table
    breaks: ibis.Table
    backend: object = None
    # A snapshot's ratings summed up per episode (episode.rating_summaries).
    rating_summaries: ibis.Table | None = None
    # Appointment reminders handed off: appointment_id, sent_s (risk/noshow.py).
    reminders: ibis.Table | None = None
    # Word from the client logged in the practice: episode_id, at_s (a call
    # logged as spoken, a reply, an answer on the response page). Optional:
    # snapshots and the simulator have none.
    words: ibis.Table | None = None
    # The practice's own appointment signals from its imports
    # (ingest.AppointmentSignal): appointment_id, name, value. Read only by a
    # fitted no-show score that learned a weight for them (risk/noshow.py).
    signals: ibis.Table | None = None
    # The appointments without their session markers (appointment_id,
    # episode_id, start_s, booked_s, cancelled_s, status, episode_ended_s):
    # in the operational database the markers are a join and a group-by
    # over every marker, which a query that reads no marker (the scan's
    # no-show facts, engagement/query.scan_copy) need not pay for. Optional:
    # elsewhere `appointments` serves.
    bookings: ibis.Table | None = None


def _epoch(col):
    return col.epoch_seconds().cast("int64")


def _date_epoch(col):
    return col.cast("timestamp").epoch_seconds().cast("int64")


def _with_previous(m: ibis.Table) -> ibis.Table:
    """Each rating with the total of the one before it (same episode and
    instrument), so "did the alliance fall since last time" needs no window
    at scan time. It looks only backwards, so it leaks nothing from after an
    as-of time. Same-day ratings are ordered by total, as features/episode.py
    orders them."""
    order = ibis.window(group_by=[m.episode_id, m.instrument], order_by=[m.taken_s, m.total])
    return m.mutate(previous_total=m.total.lag().over(order))


def _with_episode_end(facts: ibis.Table, episodes: ibis.Table) -> ibis.Table:
    ends = episodes.select(k_end=episodes.episode_id, episode_ended_s=episodes.ended_s)
    return facts.left_join(ends, facts.episode_id == ends.k_end).drop("k_end")


def _flag(text, key):
    return text.contains(key).cast("int32")


class _DjangoSQLite(SQLiteBackend):
    """Ibis on Django's own SQLite connection.

    Django owns the transaction: Ibis's stock backend commits after reading
    a schema and turns on case-sensitive LIKE for the whole connection, which
    would end Django's atomic blocks and change the ORM's icontains.
    """

    def _post_connect(self, type_map=None) -> None:
        self._type_map = {k.lower(): ibis.dtype(v) for k, v in (type_map or {}).items()}
        register_all(self.con)

    @contextlib.contextmanager
    def begin(self):
        cur = self.con.cursor()
        try:
            yield cur
        finally:
            cur.close()


def from_django(practice_id: int | None = None, targeted: bool = False) -> Sources:
    """Canonical tables over the Django database, optionally one practice's.

    `targeted`: only the clients listed in engagement_scantarget (a rescan
    of a few clients, engagement/rescan.py): every table is restricted by a
    subquery on it, so the query's text, and its compiled form, stay the
    same whichever clients are listed."""
    from django.db import connection

    connection.ensure_connection()
    if connection.vendor == "sqlite":
        sqlite_statistics(connection)
        con = _DjangoSQLite.from_connection(connection.connection)
    elif connection.vendor == "postgresql":
        con = ibis.postgres.from_connection(connection.connection)
    else:  # pragma: no cover - only the two supported databases
        raise RuntimeError(f"No Ibis backend for {connection.vendor}")

    a = con.table("clients_appointment")
    e = con.table("clients_episode")
    c = con.table("clients_client")
    mk = con.table("clients_sessionmarker")
    m = con.table("measures_measureresult")
    b = con.table("engagement_plannedbreak")
    if practice_id is not None:
        a, e, c, m, b = (t.filter(t.practice_id == practice_id) for t in (a, e, c, m, b))
    if targeted:
        wanted = con.table("engagement_scantarget").client_id
        e, c, m = e.filter(e.client_id.isin(wanted)), c.filter(c.id.isin(wanted)), m.filter(m.client_id.isin(wanted))
        a, b = a.filter(a.episode_id.isin(e.id)), b.filter(b.episode_id.isin(e.id))

    marks = mk.group_by(appointment_id=mk.appointment_id).agg(
        hard=(mk.kind == "hard_session").cast("int32").max(),
        rupture=(mk.kind == "rupture").cast("int32").max(),
        checkin=(mk.kind == "checkin").cast("int32").max(),
    )
    appts = a.left_join(marks, a.id == marks.appointment_id).select(
        appointment_id=a.id, episode_id=a.episode_id, start_s=_epoch(a.start),
        booked_s=_epoch(a.booked_at), cancelled_s=_epoch(a.cancelled_at), status=a.status,
        minutes_late=a.minutes_late.cast("int32"), final=(a.session_type == "final").cast("int32"),
        hard=marks.hard.fill_null(0), rupture=marks.rupture.fill_null(0), checkin=marks.checkin.fill_null(0),
    )
    episodes = e.select(
        episode_id=e.id, client_id=e.client_id, clinician_id=e.clinician_id,
        started_s=_date_epoch(e.started), ended_s=_date_epoch(e.ended), end_reason=e.end_reason,
        previous_id=e.previous_id, state=e.state,
    )
    # style_flags is a JSON list; the quotes make "avoidant" not match
    # "conflict_avoidant".
    flags = c.style_flags.cast("string")
    clients = c.select(
        client_id=c.id,
        safety_s=ibis.ifelse(c.safety_concern, _date_epoch(c.safety_since).fill_null(0), ibis.null("int64")),
        avoidant=_flag(flags, '"avoidant"'), conflict_avoidant=_flag(flags, '"conflict_avoidant"'),
        people_pleasing=_flag(flags, '"people_pleasing"'),
        birth_s=_date_epoch(c.birth_date),
    )
    measures = _with_previous(m.select(client_id=m.client_id, episode_id=m.episode_id, instrument=m.instrument,
                                       taken_s=_date_epoch(m.taken_on), total=m.total.cast("float64")))
    breaks = b.select(episode_id=b.episode_id, starts_s=_date_epoch(b.starts),
                      ends_s=_date_epoch(b.ends) + DAY)
    bookings = a.select(appointment_id=a.id, episode_id=a.episode_id, start_s=_epoch(a.start),
                        booked_s=_epoch(a.booked_at), cancelled_s=_epoch(a.cancelled_at), status=a.status)
    return Sources(_with_episode_end(appts, episodes), episodes, clients, _with_episode_end(measures, episodes),
                   breaks, con, reminders=_reminders(con, practice_id, e if targeted else None),
                   words=_words(con, practice_id, e if targeted else None),
                   signals=_signals(con, practice_id, a if targeted else None),
                   bookings=_with_episode_end(bookings, episodes))


def _signals(con, practice_id, appointments=None) -> ibis.Table:
    """Imported appointment signals, one row per appointment and name."""
    s = con.table("ingest_appointmentsignal")
    if practice_id is not None:
        s = s.filter(s.practice_id == practice_id)
    if appointments is not None:
        s = s.filter(s.appointment_id.isin(appointments.id))
    return s.select(appointment_id=s.appointment_id.cast("int64"), name=s.name, value=s.value.cast("float64"))


def sqlite_statistics(connection) -> None:
    """Give SQLite's planner statistics when it has none, or none worth
    having (gathered when there were less than half today's appointments).

    Without them it plans the scan's joins blind: measured on a 5,000-client
    practice, the scan's query took 30 to 70 s instead of 4 s. A sampled
    ANALYZE (analysis_limit) takes about a tenth of a second even at
    100,000 clients, and is done again only when the practice has grown."""
    def one(sql):
        cur.execute(sql)
        return cur.fetchone()

    with connection.cursor() as cur:
        row = one("SELECT stat FROM sqlite_stat1 WHERE tbl = 'clients_appointment' LIMIT 1") \
            if one("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'") else None
        counted = int(str(row[0]).split()[0]) if row else 0
        now = one("SELECT max(rowid) FROM clients_appointment")[0] or 0
        if now and counted * 2 < now:
            cur.execute("PRAGMA analysis_limit = 1000")
            cur.execute("ANALYZE")


# Step statuses in which a reminder reached the client (outreach.models.OutreachStep.HANDED_OFF).
_HANDED_OFF = ("sent", "to_print", "posted", "to_call", "logged")


def _reminders(con, practice_id, episodes=None) -> ibis.Table:
    """Reminders handed off, one row each, for the no-show score's "reminded" signal."""
    st, sq = con.table("outreach_outreachstep"), con.table("outreach_sequence")
    if practice_id is not None:
        st = st.filter(st.practice_id == practice_id)
    if episodes is not None:
        st = st.filter(st.episode_id.isin(episodes.id))
    st = st.filter(st.status.isin(_HANDED_OFF) & st.finished.notnull()).select(
        k_seq=st.sequence_id, finished=st.finished)
    sq = sq.filter((sq.kind == "reminder") & sq.appointment_id.notnull()).select(
        k_id=sq.id, appointment_id=sq.appointment_id)
    j = st.inner_join(sq, st.k_seq == sq.k_id)
    return j.select(appointment_id=j.appointment_id, sent_s=_epoch(j.finished))


def _words(con, practice_id, episodes=None) -> ibis.Table:
    """Word from the client after the practice reached out, one row each
    (episode_id, at_s): a call logged as "spoke", a reply (email, text,
    letter, a call they made), an answer on the response page. The scan
    counts it as contact after a missed session (features/episode.py), as
    the inbox does at once (engagement/inbox.py, _with_word)."""
    st, rp, rs = (con.table(n) for n in ("outreach_outreachstep", "outreach_reply", "outreach_response"))
    if practice_id is not None:
        st, rp, rs = (t.filter(t.practice_id == practice_id) for t in (st, rp, rs))
    if episodes is not None:
        st, rp, rs = (t.filter(t.episode_id.isin(episodes.id)) for t in (st, rp, rs))
    spoke = st.filter((st.outcome == "spoke") & st.finished.notnull())
    rp = rp.filter(rp.episode_id.notnull())
    parts = [t.select(episode_id=t.episode_id.cast("int64"), at_s=_epoch(col).cast("int64"))
             for t, col in ((spoke, spoke.finished), (rp, rp.received), (rs, rs.created))]
    return parts[0].union(parts[1]).union(parts[2])


@ibis.udf.scalar.builtin(name="epoch_us")
def _duckdb_epoch_us(ts: dt.Timestamp(timezone="UTC")) -> dt.int64:
    """DuckDB's own epoch_us: ten times faster than Ibis's generic epoch, which
    first converts a time-zone-aware value through the session's zone."""


def _fast_epoch(col):
    return _duckdb_epoch_us(col) // 1_000_000


def from_parquet(folder: Path, con=None) -> Sources:
    """Canonical tables over the simulator's Parquet files, in DuckDB.

    The simulator writes episodes without a stored state (their state is the
    engine's to derive) and markers inline on the appointment row.
    """
    folder = Path(folder)
    con = con or ibis.duckdb.connect()
    a = con.read_parquet(folder / "appointments.parquet")
    e = con.read_parquet(folder / "episodes.parquet")
    c = con.read_parquet(folder / "clients.parquet")
    m = con.read_parquet(folder / "measures.parquet")
    marker = a.marker.cast("string")
    appts = a.select(
        appointment_id=a.appointment_id, episode_id=a.episode_id, start_s=_fast_epoch(a.start),
        booked_s=_fast_epoch(a.booked_at), cancelled_s=_fast_epoch(a.cancelled_at),
        status=a.status.cast("string"),
        minutes_late=a.late_minutes.cast("int32"), hard=(marker == "hard_session").cast("int32"),
        **({"final": (a.session_type.cast("string") == "final").cast("int32")} if "session_type" in a.columns else {}),
        rupture=(marker == "rupture").cast("int32"), checkin=(marker == "checkin").cast("int32"),
    )
    end_reason = e.end_reason.cast("string")
    state = (ibis.cases((end_reason == "no_goodbye", "ended_no_goodbye"), (end_reason == "by_client", "ended_by_client"),
                        (end_reason != "", "ended_planned"), else_=ibis.ifelse(e.previous_episode_id > 0, "returned", "active")))
    episodes = e.select(
        episode_id=e.episode_id, client_id=e.client_id, clinician_id=e.clinician.cast("string"),
        started_s=_date_epoch(e.started), ended_s=_date_epoch(e.ended), end_reason=end_reason,
        previous_id=ibis.ifelse(e.previous_episode_id > 0, e.previous_episode_id, ibis.null("int64")),
        state=state,
    )
    flags = ";" + c.style_flags.cast("string").fill_null("") + ";"
    clients = c.select(
        client_id=c.client_id,
        safety_s=ibis.ifelse(c.safety_concern, ibis.literal(0, "int64"), ibis.null("int64")),
        avoidant=_flag(flags, ";avoidant;"), conflict_avoidant=_flag(flags, ";conflict_avoidant;"),
        people_pleasing=_flag(flags, ";people_pleasing;"),
    )
    measures = _with_previous(m.select(client_id=m.client_id, episode_id=m.episode_id,
                                       instrument=m.instrument.cast("string"), taken_s=_date_epoch(m.date),
                                       total=m.total.cast("float64")))
    breaks = ibis.memtable({"episode_id": [], "starts_s": [], "ends_s": []},
                           schema={"episode_id": "int64", "starts_s": "int64", "ends_s": "int64"})
    return Sources(_with_episode_end(appts, episodes), episodes, clients, _with_episode_end(measures, episodes),
                   con.create_table("breaks", breaks, temp=True), con)




CANONICAL = ("appointments", "episodes", "clients", "measures", "breaks")


def from_canonical(con, prefix: str = "sh_") -> Sources:
    """Canonical tables already stored under these names (e.g. a warehouse
    copy in PostgreSQL or Spark, as bench/scan.py loads them)."""
    return Sources(*(con.table(f"{prefix}{name}") for name in CANONICAL), backend=con)


__all__ = ["Sources", "from_django", "from_parquet", "from_canonical", "CANONICAL", "DAY", "_"]
