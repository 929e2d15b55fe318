"""Append-only in the database too: triggers that refuse UPDATE and DELETE.

The application already refuses (AuditEvent.save/delete and its QuerySet);
these stop any other program or a hand-typed SQL statement.

PostgreSQL: a row trigger raises on UPDATE or DELETE. TRUNCATE is left
alone (it is not a row change, and Django's test runner empties tables with
it); the hash chain still catches a truncated trail against the chain head.

SQLite: one trigger refuses UPDATE; another refuses DELETE unless the SQL
function stillhere_audit_flush_allowed() says yes. The application registers
that function on each connection and it answers yes only when the test-only
setting AUDIT_ALLOW_FLUSH_FOR_TESTS is true (set in conftest.py so Django's
test runner can empty tables between tests; never set it anywhere else). In
any other program, such as the sqlite3 shell, the function does not exist,
so the trigger fails and the DELETE is refused.

The triggers are created by migration 0002 and re-created after every
migrate (SQLite drops a table's triggers when a migration rebuilds it).
"""

from django.conf import settings

TABLE = "audit_auditevent"
MESSAGE = "Audit events cannot be changed or deleted: the audit trail is append-only."

POSTGRESQL_INSTALL = [
    f"""CREATE OR REPLACE FUNCTION stillhere_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'insufficient_privilege';
END $$""",
    f"DROP TRIGGER IF EXISTS audit_append_only ON {TABLE}",
    f"""CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON {TABLE}
FOR EACH ROW EXECUTE FUNCTION stillhere_audit_append_only()""",
]
POSTGRESQL_REMOVE = [
    f"DROP TRIGGER IF EXISTS audit_append_only ON {TABLE}",
    "DROP FUNCTION IF EXISTS stillhere_audit_append_only()",
]
SQLITE_INSTALL = [
    f"""CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON {TABLE}
BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON {TABLE}
WHEN NOT stillhere_audit_flush_allowed()
BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
]
SQLITE_REMOVE = ["DROP TRIGGER IF EXISTS audit_no_update", "DROP TRIGGER IF EXISTS audit_no_delete"]


def _statements(vendor: str, install: bool) -> list[str]:
    if vendor == "postgresql":
        return POSTGRESQL_INSTALL if install else POSTGRESQL_REMOVE
    if vendor == "sqlite":
        return SQLITE_INSTALL if install else SQLITE_REMOVE
    return []


def install(connection) -> None:
    with connection.cursor() as cur:
        for sql in _statements(connection.vendor, True):
            cur.execute(sql)


def remove(connection) -> None:
    with connection.cursor() as cur:
        for sql in _statements(connection.vendor, False):
            cur.execute(sql)


def flush_allowed() -> int:
    return 1 if getattr(settings, "AUDIT_ALLOW_FLUSH_FOR_TESTS", False) else 0


def register_sqlite_function(sender, connection, **kwargs) -> None:
    """connection_created: give each SQLite connection the function the DELETE trigger asks."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("stillhere_audit_flush_allowed", 0, flush_allowed)


def reinstall_after_migrate(sender, using="default", **kwargs) -> None:
    """post_migrate: put the triggers back if a migration rebuilt the table."""
    from django.db import connections

    connection = connections[using]
    if TABLE in connection.introspection.table_names():
        install(connection)
