"""The bulk writer (lib/bulk.py: COPY on PostgreSQL, executemany on SQLite)
writes exactly the rows the ORM would have, an import with a bad row late in
a big file leaves the practice as it was, and importing the same files again
writes nothing.

The ORM's way is the reference: the same imports run a second time with the
writer's three bulk functions replaced by model objects saved through the
ORM (bulk_create, save), and every row of every table the import touches is
compared, encrypted columns as the app reads them."""

from contextlib import contextmanager
from datetime import date, timedelta
from unittest import mock

from django.db import connection, transaction
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from stillhere.accounts.models import Membership, Practice
from stillhere.clients.models import Appointment, Client, Episode, SessionMarker
from stillhere.engagement.models import StateChange
from stillhere.ingest.service import run_import
from stillhere.ingest.sources import CsvSource
from stillhere.lib import bulk
from stillhere.measures.models import MeasureResult

from .helpers import ImportFiles

APPT_HEADER = ("appointment_id,client_id,clinician,start,status,client_name,booked_at,duration_min,late_minutes,"
               "cancelled_at,episode_id,session_type,marker")
CLIENT_HEADER = ("client_id,first_name,last_name,preferred_name,email,phone,city,consent_email,consent_sms,"
                 "safety_concern,style_flags")
CLIENTS = [
    "c-01,Maya,Lind,,maya.lind@example.org,+447700900101,Bristol,yes,yes,no,avoidant",
    "c-02,Theodore,Grant,Theo,theo.grant@example.org,+447700900102,Bath,true,false,true,",
]
FIRST = date(2026, 1, 5)


def weekly(client, name, first, n, prefix, episode="", marker_at=None):
    rows = []
    for i in range(n):
        day = first + timedelta(weeks=i)
        marker = "hard_session" if i == marker_at else ""
        rows.append(f"{prefix}-{i},{client},alice@example.org,{day}T10:00:00+00:00,attended,{name},"
                    f"{day - timedelta(days=7)}T09:00:00+00:00,50,0,,{episode},session,{marker}")
    return rows


BASE = (weekly("c-01", "Maya Lind", FIRST, 6, "a1", marker_at=2)
        + weekly("c-02", "Theo Grant", FIRST, 4, "a2", episode="ep-theo"))
# The second file: the first rows again (unchanged), one changed, one moved
# to another status and a new marker, new rows, and a new client who comes
# back 150 days after her sixth session (a long silence: a new episode).
LAST = FIRST + timedelta(weeks=5)
MIXED = (BASE[:4]
         + [BASE[4].replace(",attended,", ",no_show,"), BASE[5].replace(",session,", ",session,rupture")]
         + BASE[6:9] + [BASE[9].replace(",50,0,", ",80,5,")]
         + weekly("c-02", "Theo Grant", FIRST + timedelta(weeks=4), 3, "a2b", episode="ep-theo")
         + weekly("c-03", "Iris Novak", FIRST, 6, "a3")
         + [f"a3-back,c-03,alice@example.org,{LAST + timedelta(days=150)}T10:00:00+00:00,attended,Iris Novak,"
            f"{LAST + timedelta(days=140)}T09:00:00+00:00,50,0,,,session,"])
CHANGED_CLIENTS = [CLIENTS[0].replace("+447700900101", "+447700900199"), CLIENTS[1]]
MEASURES = "client_id,date,instrument,total\nc-01,2026-01-05,PHQ-9,14\nc-01,2026-02-02,PHQ-9,9\nc-02,2026-01-12,GAD-7,8\n"

# Per table: the foreign keys (compared as the rank of the row they point to)
# and the columns that are the moment of writing, not the data.
TABLES = [
    (Membership, {}, ("user_id", "created")),
    (Client, {}, ("code", "created")),
    (Episode, {"client_id": Client, "clinician_id": Membership, "previous_id": Episode}, ("state_since",)),
    (Appointment, {"episode_id": Episode}, ("updated",)),
    (SessionMarker, {"appointment_id": Appointment}, ("created",)),
    (MeasureResult, {"client_id": Client, "episode_id": Episode, "appointment_id": Appointment}, ("created",)),
    (StateChange, {"episode_id": Episode, "by_id": Membership}, ("created", "processed")),
]


def snapshot(practice, keep_moments=False) -> dict:
    """Every row of the practice's tables, ids replaced by their rank (both
    runs insert in the same order), values as the app reads them (decrypted)."""
    ranks, out = {}, {}
    for model, fks, moments in TABLES:
        scope = {"practice": practice} if model not in (SessionMarker,) else {"appointment__practice": practice}
        rows = list(model.objects.filter(**scope).order_by("id").values())
        ranks[model] = {r["id"]: i for i, r in enumerate(rows)}
        for r in rows:
            r.pop("id")
            r.pop("practice_id", None)
            for k in () if keep_moments else moments:
                r.pop(k, None)
            for k, target in fks.items():
                r[k] = None if r[k] is None else ranks[target][r[k]]
        out[model.__name__] = rows
    return out


@contextmanager
def through_the_orm():
    """The writer's bulk functions replaced by the ORM, row objects and all."""
    def fields(table, v):
        return {a: v[a] for a in table.attnames if a in v}

    def insert_returning_ids(table, values):
        objs = [table.model(**fields(table, v)) for v in values]
        table.model.objects.bulk_create(objs)
        return [o.pk for o in objs]

    def insert(table, values):
        return len(insert_returning_ids(table, values))

    def update(table, changes):
        for pk, v in changes:
            obj = table.model.objects.get(pk=pk)
            for a, val in fields(table, v).items():
                setattr(obj, a, val)
            obj.save()   # pre_save: blind indexes worked out by the field itself
        return len(changes)

    with mock.patch.object(bulk, "insert", insert), mock.patch.object(bulk, "insert_returning_ids",
                                                                        insert_returning_ids), \
            mock.patch.object(bulk, "update", update):
        yield


class _Undo(Exception):
    pass


class BulkWriterTests(ImportFiles, TestCase):
    def setUp(self):
        super().setUp()
        self.practice = Practice.objects.create(name="Riverside", slug="riverside", timezone="Europe/London")

    def files(self, appointments, clients=None, measures=None):
        return CsvSource(self.file("appointments.csv", "\n".join([APPT_HEADER, *appointments]) + "\n"),
                         self.file("clients.csv", "\n".join([CLIENT_HEADER, *clients]) + "\n") if clients else None,
                         self.file("measures.csv", measures) if measures else None)

    def imports(self):
        """The base files, then the mixed one; the two reports and the rows after."""
        first = run_import(self.practice, self.files(BASE, CLIENTS, MEASURES), rescan=False)
        second = run_import(self.practice, self.files(MIXED, CHANGED_CLIENTS, MEASURES), rescan=False)
        return first, second, snapshot(self.practice)

    def undone(self, fn):
        """fn's result, with everything it wrote rolled back."""
        try:
            with transaction.atomic():
                raise _Undo(fn())
        except _Undo as u:
            return u.args[0]

    def test_the_bulk_rows_are_the_rows_the_orm_writes(self):
        first, second, rows = self.undone(self.imports)
        self.assertEqual((first.status, second.status), ("imported", "imported"), second.lines()[:5])
        # The mixed file really is mixed, and the long silence split c-03's episode.
        self.assertEqual(second.counts["appointments"], {"created": 10, "updated": 2, "unchanged": 8})
        self.assertEqual(second.counts["clients"], {"created": 1, "updated": 1, "unchanged": 1})
        self.assertEqual(second.returns_inferred, 1)
        with through_the_orm():
            orm_first, orm_second, orm_rows = self.undone(self.imports)
        self.assertEqual((orm_first.counts, orm_second.counts), (first.counts, second.counts))
        self.assertEqual(orm_second.returns_inferred, 1)
        for table, _, _ in TABLES:
            self.assertEqual(rows[table.__name__], orm_rows[table.__name__], table.__name__)
        # What the comparison covered: the changed phone is stored encrypted with its new blind index.
        maya = [c for c in rows["Client"] if c["external_id"] == "c-01"][0]
        self.assertEqual(maya["phone"], "+447700900199")
        self.assertTrue(maya["phone_index"])
        self.assertEqual(len([e for e in rows["Episode"] if e["client_id"] == 2]), 2)   # c-03, split

    def test_a_bad_row_late_in_a_big_file_leaves_the_practice_as_it_was(self):
        run_import(self.practice, self.files(BASE, CLIENTS, MEASURES), rescan=False)
        before = snapshot(self.practice, keep_moments=True)
        big = [f"b-{i},c-{i % 900:03d},alice@example.org,{FIRST + timedelta(days=i % 700)}T{8 + i % 10:02d}:00:00"
               f"+00:00,attended,Client {i % 900},,50,0,,,session," for i in range(7000)]
        big[6900] = big[6900].replace(",attended,", ",went fishing,")   # line 6902, after three written batches
        report = run_import(self.practice, self.files(big), rescan=False)
        self.assertEqual(report.status, "rejected")
        (problem,) = report.problems
        self.assertEqual((problem.file, problem.line, problem.column), ("appointments.csv", 6902, "status"))
        self.assertEqual(problem.value, "(value hidden, 12 characters)")
        self.assertIn("is not a status stillhere knows", problem.reason)
        self.assertEqual(snapshot(self.practice, keep_moments=True), before)
        self.assertFalse(Client.objects.filter(practice=self.practice, external_id="c-000").exists())

    def test_importing_the_same_files_again_writes_nothing(self):
        run_import(self.practice, self.files(BASE, CLIENTS, MEASURES), rescan=False)
        run_import(self.practice, self.files(MIXED, CHANGED_CLIENTS, MEASURES), rescan=False)
        before = snapshot(self.practice, keep_moments=True)
        written = []

        def spy(name):
            real = getattr(bulk, name)

            def call(table, rows):
                rows = list(rows)
                written.extend((table.name, r) for r in rows)
                return real(table, rows)
            return call

        with mock.patch.object(bulk, "insert", spy("insert")), \
                mock.patch.object(bulk, "insert_returning_ids", spy("insert_returning_ids")), \
                mock.patch.object(bulk, "update", spy("update")), CaptureQueriesContext(connection) as sql:
            again = run_import(self.practice, self.files(MIXED, CHANGED_CLIENTS, MEASURES), rescan=False)
        self.assertEqual(again.status, "imported")
        self.assertEqual(again.counts["appointments"], {"created": 0, "updated": 0, "unchanged": 20})
        self.assertEqual(again.counts["clients"], {"created": 0, "updated": 0, "unchanged": 2})
        self.assertEqual(again.counts["measures"], {"created": 0, "updated": 0, "unchanged": 3})
        self.assertEqual(again.returns_inferred, 0)
        self.assertEqual(written, [])
        tables = [m._meta.db_table for m, _, _ in TABLES]
        writes = [q["sql"] for q in sql.captured_queries
                  if q["sql"].lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE")
                  and any(t in q["sql"] for t in tables)]
        self.assertEqual(writes, [])
        self.assertEqual(snapshot(self.practice, keep_moments=True), before)
