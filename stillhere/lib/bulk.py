"""Write many rows of one model at once, as the ORM would have written them.

The importer, the simulator/demo loader (through the importer's writer) and
the measures loader all write through here: COPY on PostgreSQL, large
`executemany` batches on SQLite, inside the caller's transaction, so an
import is still all or nothing.

Why not `bulk_create`/`bulk_update`: they prepare every value of every row
field by field through the ORM, which was most of the time of a million-row
import, and on PostgreSQL they send statements where COPY streams. What the
ORM does on the way is kept: each model's fields are read once (`Table`) and
every value still goes through its field's own preparation where that
matters (encrypted columns are encrypted by their field, JSON is dumped by
its field), defaults are the fields' defaults, `auto_now_add` is now, and a
blind index is worked out from its source column. A field added to a model
later is written the same way with nothing to change here.
"""

from datetime import date, datetime, timezone
from enum import Enum

from django.db import connection, models
from django.utils import timezone as dj_timezone

from stillhere.lib.crypto import BlindIndexField, EncryptedCharField, EncryptedTextField, blind_index

SQLITE_BATCH = 5000
# Fields whose Python value is already what the database stores (the value
# of a choice excepted: see _prep).
PLAIN = (models.CharField, models.TextField, models.IntegerField, models.PositiveSmallIntegerField,
         models.PositiveIntegerField, models.SmallIntegerField, models.BigIntegerField, models.BooleanField,
         models.FloatField, models.ForeignKey, models.OneToOneField, models.BigAutoField, models.AutoField)


def sqlite_datetime(value):
    """What Django stores in SQLite for a datetime (naive UTC text, as its
    adapt_datetimefield_value gives), without its per-call overhead: the one
    adapter of the bulk writes here and of lib/rowcopy.py. The importer's
    times are already UTC (values.moment), so most need no conversion."""
    if value is None:
        return None
    tz = value.tzinfo
    if tz is timezone.utc:
        return value.isoformat(" ")[:-6]   # "… 17:00:00+00:00" without its "+00:00"
    if tz is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value.isoformat(" ")


def sqlite_date(value):
    return value.isoformat() if value is not None else None


def _choice(value):
    return value.value if isinstance(value, Enum) else value


def _prep(field):
    """value -> what the database stores, for one field (once per Table)."""
    sqlite = connection.vendor == "sqlite"
    kind = type(field)
    if kind in PLAIN:
        return _choice if field.choices else None
    if kind is models.DateTimeField:
        return sqlite_datetime if sqlite else None
    if kind is models.DateField:
        return sqlite_date if sqlite else None
    if kind is models.UUIDField:
        return (lambda v: v.hex if v is not None else None) if sqlite else None
    if isinstance(field, (EncryptedCharField, EncryptedTextField)):   # empty stays empty, as the field says
        return lambda v: field.get_db_prep_save(v, connection) if v else v
    return lambda v: field.get_db_prep_save(v, connection)   # JSON, and anything new


def _default(field):
    """A function giving the value a row gets when the caller says nothing."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return dj_timezone.now
    if field.has_default():
        if callable(field.default):
            return field.default
        value = _choice(field.default)
        return lambda: value
    value = None if field.null else "" if isinstance(field, (models.CharField, models.TextField)) else None
    return lambda: value


class Table:
    """One model's columns, read once: `row(values)` gives the tuple to write
    for a dict of values keyed by attname (absent = the field's default)."""

    def __init__(self, model, columns=None, with_pk=False):
        self.model = model
        meta = model._meta
        fields = [f for f in meta.concrete_fields if with_pk or not f.primary_key]
        if columns is not None:
            wanted = set(columns) | {f.attname for f in fields if isinstance(f, BlindIndexField)
                                     and meta.get_field(f.source).attname in columns}
            fields = [f for f in fields if f.attname in wanted or (f.primary_key and with_pk)]
        self.fields = fields
        self.columns = [f.column for f in fields]
        self.name = model._meta.db_table
        self.attnames = [f.attname for f in fields]
        self._defaults = [_default(f) for f in fields]   # a blind index is worked out below
        self._attset = frozenset(self.attnames)
        preps = [None if isinstance(f, BlindIndexField) else _prep(f) for f in fields]
        # A choice's value needs preparing only when it is the enum member: tested inline in row().
        self._choices = [i for i, p in enumerate(preps) if p is _choice]
        self._preps = [(i, p) for i, p in enumerate(preps) if p is not None and p is not _choice]
        self._indexes = [(i, f.kind, meta.get_field(f.source).attname) for i, f in enumerate(fields)
                         if isinstance(f, BlindIndexField)]

    def row(self, values: dict) -> tuple:
        """Called once per row of a million-row import: list operations in
        C where it can, Python only for the values that need preparing."""
        get = values.get
        out = [get(a, _ABSENT) for a in self.attnames]
        if not self._attset <= values.keys():
            defaults = self._defaults
            out = [defaults[i]() if v is _ABSENT else v for i, v in enumerate(out)]
        for i in self._choices:
            v = out[i]
            if v.__class__ is not str and isinstance(v, Enum):
                out[i] = v.value
        for i, prep in self._preps:
            out[i] = prep(out[i])
        for i, kind, source in self._indexes:
            out[i] = blind_index(kind, get(source) or "")
        return tuple(out)


_ABSENT = object()


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def insert(table: Table, values) -> int:
    """Insert rows given as dicts of values by attname; ids are not returned."""
    return write_rows(table.name, table.columns, [table.row(v) for v in values])


def write_rows(name: str, columns: list[str], rows: list[tuple]) -> int:
    """Rows already in what the database stores, in `columns` order, into
    table `name`: COPY on PostgreSQL, executemany batches on SQLite. The one
    place both the model-aware writes here and lib/rowcopy.py send rows."""
    if not rows:
        return 0
    cols = ", ".join(_q(c) for c in columns)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            with cur.cursor.copy(f"COPY {_q(name)} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            sql = f"INSERT INTO {_q(name)} ({cols}) VALUES ({', '.join(['%s'] * len(columns))})"
            for i in range(0, len(rows), SQLITE_BATCH):
                cur.executemany(sql, rows[i:i + SQLITE_BATCH])
    return len(rows)


def insert_returning_ids(table: Table, values) -> list[int]:
    """Insert rows (dicts of values by attname) and return their new ids, in order.

    PostgreSQL: the ids are taken from the table's sequence first and the
    rows are COPYed with them. SQLite: multi-row INSERT … RETURNING, as many
    rows per statement as its variable limit allows."""
    rows = [table.row(v) for v in values]
    if not rows:
        return []
    pk = table.model._meta.pk.column
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                        [table.name, pk, len(rows)])
            ids = [r[0] for r in cur.fetchall()]
            cols = ", ".join(_q(c) for c in [pk, *table.columns])
            with cur.cursor.copy(f"COPY {_q(table.name)} ({cols}) FROM STDIN") as copy:
                for i, row in zip(ids, rows):
                    copy.write_row((i, *row))
            return ids
        limit = _sqlite_variable_limit(cur)
        per = max(1, min(limit // max(1, len(table.columns)), 2000))
        one = f"({', '.join(['%s'] * len(table.columns))})"
        cols = ", ".join(_q(c) for c in table.columns)
        ids = []
        for i in range(0, len(rows), per):
            chunk = rows[i:i + per]
            cur.execute(f"INSERT INTO {_q(table.name)} ({cols}) VALUES {', '.join([one] * len(chunk))} "
                        f"RETURNING {_q(pk)}", [v for row in chunk for v in row])
            ids += [r[0] for r in cur.fetchall()]
        return ids


def _sqlite_variable_limit(cur) -> int:
    import sqlite3

    try:
        return cur.cursor.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    except (AttributeError, sqlite3.Error):
        return connection.features.max_query_params


def update(table: Table, changes) -> int:
    """Update existing rows: (pk, {attname: value}) pairs, each giving every
    one of the table's columns (a value the caller leaves out is the field's default).

    PostgreSQL: the new values are COPYed into a temporary table and one
    UPDATE … FROM joins it. SQLite: one UPDATE per row in executemany batches."""
    rows = [(pk, *table.row(v)) for pk, v in changes]
    if not rows:
        return 0
    pk = table.model._meta.pk.column
    t = _q(table.name)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            stage = _q(f"_bulk_{table.name}")
            cols = ", ".join(_q(c) for c in [pk, *table.columns])
            cur.execute(f"CREATE TEMPORARY TABLE {stage} AS SELECT {cols} FROM {t} WITH NO DATA")
            try:
                with cur.cursor.copy(f"COPY {stage} ({cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                sets = ", ".join(f"{_q(c)} = s.{_q(c)}" for c in table.columns)
                cur.execute(f"UPDATE {t} SET {sets} FROM {stage} AS s WHERE {t}.{_q(pk)} = s.{_q(pk)}")
            finally:
                cur.execute(f"DROP TABLE {stage}")
        else:
            sets = ", ".join(f"{_q(c)} = %s" for c in table.columns)
            sql = f"UPDATE {t} SET {sets} WHERE {_q(pk)} = %s"
            flipped = [(*row[1:], row[0]) for row in rows]
            for i in range(0, len(flipped), SQLITE_BATCH):
                cur.executemany(sql, flipped[i:i + SQLITE_BATCH])
    return len(rows)


def from_db_datetime(value):
    """A datetime column read with a raw cursor, as the ORM would give it
    (aware, UTC): SQLite hands back naive UTC (or text), PostgreSQL an aware datetime."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def from_db_date(value):
    """A date column read with a raw cursor (SQLite: text)."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def select_in(sql: str, params: list, keys: list, chunk: int = 2000):
    """Rows of `sql` (ending in "IN ({marks})") for keys, chunk by chunk:
    one query per chunk instead of one per key."""
    out = []
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            chunk = max(1, min(chunk, _sqlite_variable_limit(cur) - len(params)))
        for i in range(0, len(keys), chunk):
            part = keys[i:i + chunk]
            cur.execute(sql.format(marks=", ".join(["%s"] * len(part))), [*params, *part])
            out += cur.fetchall()
    return out
