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


def _sqlite_value(ops, v):
    if isinstance(v, datetime):
        return ops.adapt_datetimefield_value(v)
    if isinstance(v, date):
        return ops.adapt_datefield_value(v)
    if isinstance(v, (list, dict)):
        return json.dumps(v)
    return v


def insert_rows(table: str, columns: list[str], rows: list[tuple]) -> int:
    """Insert `rows` (tuples in `columns` order) into `table`; returns how many."""
    if not rows:
        return 0
    ops = connection.ops
    cols = ", ".join(ops.quote_name(c) for c in columns)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            with cur.cursor.copy(f"COPY {ops.quote_name(table)} ({cols}) FROM STDIN") as copy:
                for r in rows:
                    copy.write_row([json.dumps(v) if isinstance(v, (list, dict)) else v for v in r])
        else:
            sql = f"INSERT INTO {ops.quote_name(table)} ({cols}) VALUES ({', '.join(['%s'] * len(columns))})"
            cur.executemany(sql, [[_sqlite_value(ops, v) for v in r] for r in rows])
    return len(rows)


def upsert_rows(table: str, columns: list[str], key: str, rows: list[tuple], json_columns=()) -> int:
    """Insert `rows`, or update every other column where `key` already exists
    (INSERT ... ON CONFLICT DO UPDATE, the same statement on both databases)."""
    if not rows:
        return 0
    ops = connection.ops
    q = ops.quote_name
    sets = ", ".join(f"{q(c)} = excluded.{q(c)}" for c in columns if c != key)
    if connection.vendor == "postgresql":
        marks = ", ".join("%s::jsonb" if c in json_columns else "%s" for c in columns)
        adapt = lambda v: json.dumps(v) if isinstance(v, (list, dict)) else v  # noqa: E731
    else:
        marks = ", ".join(["%s"] * len(columns))
        adapt = lambda v: _sqlite_value(ops, v)  # noqa: E731
    sql = (f"INSERT INTO {q(table)} ({', '.join(q(c) for c in columns)}) VALUES ({marks}) "
           f"ON CONFLICT ({q(key)}) DO UPDATE SET {sets}")
    with connection.cursor() as cur:
        cur.executemany(sql, [[adapt(v) for v in r] for r in rows])
    return len(rows)


def chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i:i + size]
