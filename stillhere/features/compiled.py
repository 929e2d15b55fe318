"""Compile a feature query once, run it for any as-of time.

Building and compiling the Ibis expression costs about a second, far more
than running it on a practice's data; a day-by-day backtest or a busy
scheduler would pay that on every scan. The expression is compiled once with
a sentinel in place of the as-of time, and the sentinel is swapped for the
real value on each run. The sentinel is an integer no real time reaches
(year 2216), so it cannot collide with data or other literals.
"""

from collections.abc import Callable
from threading import Lock

import re

import ibis
import pandas as pd
import pyarrow as pa
from ibis.formats.pandas import PandasData

SENTINEL = 7_777_777_777

_cache: dict = {}
_lock = Lock()


def run(backend, key, build: Callable[[int], ibis.Table], as_of_s: int) -> pd.DataFrame:
    """Execute `build(as_of_s)` on `backend`, compiling it only once per key."""
    sql, schema = _compiled(backend, key, build)
    if backend.name == "pyspark":
        # A Spark DataFrame, not a DB-API cursor: through Arrow, like DuckDB's.
        table = backend._session.sql(sql.replace(str(SENTINEL), str(int(as_of_s)))).toArrow()
        return PandasData.convert_table(table.to_pandas(), schema)
    with backend._safe_raw_sql(sql.replace(str(SENTINEL), str(int(as_of_s)))) as cur:
        rows = cur.fetchall()
        names = [d[0] for d in cur.description]
    df = pd.DataFrame.from_records(rows, columns=names)
    return PandasData.convert_table(df, schema)


def arrow(backend, key, build: Callable[[int], ibis.Table], as_of_s: int) -> pa.Table:
    """The same on DuckDB, as an Arrow table: at platform scale, building
    Python rows for a million episodes would cost more than the query."""
    sql, schema = _compiled(backend, key, build)
    table = backend.con.sql(sql.replace(str(SENTINEL), str(int(as_of_s)))).to_arrow_table()
    return table.cast(schema.to_pyarrow())


def _compiled(backend, key, build):
    with _lock:
        hit = _cache.get(key)
        if hit is None:
            expr = build(SENTINEL)
            sql = str(backend.compile(expr))
            if str(SENTINEL) not in sql:
                raise ValueError("the query does not depend on the as-of time")
            # Arithmetic done in Python on the sentinel (instead of in the
            # expression) would leave a number the swap cannot find.
            # Whole numbers only: a weight such as 0.81319213630 holds ten digits too.
            near = {int(n) for n in re.findall(r"(?<![\w.])\d{10}(?![\w.])", sql)
                    if abs(int(n) - SENTINEL) < 20 * 365 * 86400} - {SENTINEL}
            if near:
                raise ValueError(f"as-of time used outside the expression: {sorted(near)}")
            hit = _cache[key] = (sql, expr.schema())
    return hit


def clear() -> None:
    with _lock:
        _cache.clear()
