"""Many plain rows into one table, fast: COPY on PostgreSQL, one large
`executemany` on SQLite.

The ORM's bulk_create prepares every value field by field, which costs more
than the database's own work once a scan stores tens of thousands of rows.
The callers here already hold plain values (numbers, text, datetimes, JSON
as Python lists or dicts), so they are adapted once per column kind and sent
as they are. The caller owns the transaction.
"""

import json
from datetime import date, datetime

from django.db import connection

from stillhere.lib import bulk


def _sqlite_value(v):
    """One value as SQLite stores it, through the bulk writer's own adapters."""
    if isinstance(v, datetime):
        return bulk.sqlite_datetime(v)
    if isinstance(v, date):
        return bulk.sqlite_date(v)
    if isinstance(v, (list, dict)):
        return json.dumps(v)
    return v


def _adapted(rows: list[tuple], sqlite: bool) -> list[tuple]:
    """The rows with each column adapted by the kind of its first value: a
    column of one repeated datetime (as_of, created) is adapted once."""
    cols = list(zip(*rows))
    out = []
    for col in cols:
        first = next((v for v in col if v is not None), None)
        if isinstance(first, (list, dict)):
            col = [None if v is None else json.dumps(v) for v in col]
        elif sqlite and isinstance(first, (datetime, date)):
            if all(v is first for v in col):
                col = [_sqlite_value(first)] * len(col)
            else:
                col = [_sqlite_value(v) for v in col]
        out.append(col)
    return list(zip(*out))


def insert_rows(table: str, columns: list[str], rows: list[tuple]) -> int:
    """Insert `rows` (tuples in `columns` order) into `table`; returns how many."""
    if not rows:
        return 0
    return bulk.write_rows(table, columns, _adapted(rows, sqlite=connection.vendor != "postgresql"))


def upsert_rows(table: str, columns: list[str], key: str, rows: list[tuple], json_columns=()) -> int:
    """Insert `rows`, or update every other column where `key` already exists
    (INSERT ... ON CONFLICT DO UPDATE, the same statement on both databases)."""
    if not rows:
        return 0
    ops = connection.ops
    q = ops.quote_name
    sets = ", ".join(f"{q(c)} = excluded.{q(c)}" for c in columns if c != key)
    pg = connection.vendor == "postgresql"
    marks = ", ".join("%s::jsonb" if pg and c in json_columns else "%s" for c in columns)
    sql = (f"INSERT INTO {q(table)} ({', '.join(q(c) for c in columns)}) VALUES ({marks}) "
           f"ON CONFLICT ({q(key)}) DO UPDATE SET {sets}")
    with connection.cursor() as cur:
        cur.executemany(sql, _adapted(rows, sqlite=not pg))
    return len(rows)


def chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i:i + size]
