"""Encrypted backups of the whole database, and restores that check themselves.

A backup file is one Fernet token (AES-128-CBC with HMAC-SHA256, from the
cryptography package) holding a short manifest (when, which database, the row
count of every table, where the audit chain ended) and the database itself,
gzipped: for SQLite an online copy made with SQLite's backup API (safe while
the web app and worker keep writing), for PostgreSQL a `pg_dump` custom-format
archive taken in the same snapshot the row counts were read in.

The key is the newest of the practice's encryption keys (FIELD_ENCRYPTION_KEYS,
else the one derived from SECRET_KEY; see stillhere/lib/crypto.py), or a
Fernet key in a file given with --key-file. Keep that key somewhere other than
the backups: a backup is unreadable without it, and readable by anyone with it.

Files are written owner-only (0600) in owner-only directories (0700); scratch
copies live in a private temporary directory removed afterwards.
"""

import gzip
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import connections

MAGIC = b"STILLHERE-BACKUP-1\n"
SCRATCH = "backup_scratch"


class BackupError(Exception):
    """Something a person can act on, said in words."""


# --- keys and files ----------------------------------------------------------

def _fernet(key_file: Path | None) -> MultiFernet:
    if key_file is not None:
        try:
            text = Path(key_file).read_text().strip()
            return MultiFernet([Fernet(line.strip()) for line in text.splitlines() if line.strip()])
        except OSError as e:
            raise BackupError(f"Could not read the key file {key_file}: {e.strerror}.") from None
        except ValueError:
            raise BackupError(f"The key file {key_file} does not hold a backup key "
                              "(one Fernet key per line, newest first).") from None
    from stillhere.lib.crypto import keys

    return MultiFernet([Fernet(k) for k in keys()])


def new_key_file(path: Path) -> Path:
    """Write a fresh backup key, owner-only; refuses to overwrite an existing one."""
    path = Path(path)
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise BackupError(f"{path} already exists; a key file is never overwritten.") from None
    with os.fdopen(fd, "wb") as f:
        f.write(Fernet.generate_key() + b"\n")
    return path


def private_dir(path: Path) -> Path:
    path = Path(path)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Write atomically (temporary file, then rename), mode 0600 from the start."""
    path = Path(path)
    private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def scratch_dir():
    path = Path(tempfile.mkdtemp(prefix="stillhere-backup-"))  # 0700
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def default_dir() -> Path:
    return Path(settings.DATA_DIR) / "backups"


# --- the manifest ------------------------------------------------------------

@dataclass
class Manifest:
    vendor: str
    created: str
    counts: dict[str, int] = field(default_factory=dict)
    audit_seq: int = 0
    audit_hash: str = ""

    def dumps(self) -> bytes:
        return json.dumps(self.__dict__, sort_keys=True).encode()

    @classmethod
    def loads(cls, data: bytes) -> "Manifest":
        return cls(**json.loads(data))

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


def _sqlite_counts(db: sqlite3.Connection) -> dict[str, int]:
    q = '"{}"'.format
    names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                      "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    return {n: db.execute(f"SELECT COUNT(*) FROM {q(n)}").fetchone()[0] for n in names}


def _chain_end(cursor) -> tuple[int, str]:
    cursor.execute("SELECT seq, hash FROM audit_auditevent WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1")
    row = cursor.fetchone()
    return (row[0], row[1]) if row else (0, "")


def _pg_counts(cur) -> dict[str, int]:
    cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
                "AND table_type = 'BASE TABLE' ORDER BY table_name")
    names = [r[0] for r in cur.fetchall()]
    counts = {}
    for n in names:
        cur.execute(f'SELECT COUNT(*) FROM "{n}"')
        counts[n] = cur.fetchone()[0]
    return counts


# --- PostgreSQL helpers --------------------------------------------------------

def _pg_settings(using: str, name: str | None = None) -> dict:
    s = connections[using].settings_dict
    return {"dbname": name or s["NAME"], "user": s.get("USER") or None, "password": s.get("PASSWORD") or None,
            "host": s.get("HOST") or None, "port": str(s.get("PORT") or "") or None}


def _pg_env(params: dict) -> dict:
    env = dict(os.environ)
    for var, key in (("PGHOST", "host"), ("PGPORT", "port"), ("PGUSER", "user"), ("PGPASSWORD", "password")):
        if params.get(key):
            env[var] = params[key]
    return env


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} was not found on this computer's PATH. PostgreSQL backups use PostgreSQL's "
                          f"own {name}; install the PostgreSQL client tools (e.g. the postgresql-client "
                          "package) matching the server's version, then try again.")
    return path


def _pg_connect(params: dict, autocommit: bool = False):
    import psycopg

    return psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=autocommit)


def _run(cmd: list[str], env: dict, what: str) -> None:
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        # pg_dump/pg_restore speak of objects, not rows; keep only the first line.
        first = (done.stderr.strip().splitlines() or ["no message"])[0]
        raise BackupError(f"{what} failed: {first}")


# --- backup --------------------------------------------------------------------

def backup(dest: Path | None = None, key_file: Path | None = None, using: str = "default") -> tuple[Path, Manifest]:
    """Write an encrypted backup; returns its path and what it holds."""
    conn = connections[using]
    now = datetime.now(timezone.utc)
    name = f"stillhere-{now:%Y%m%d-%H%M%S}.backup"
    if dest is None:
        dest = default_dir() / name
    folder = str(dest).endswith(os.sep)  # "backups/" means a folder, even one not made yet
    dest = Path(dest)
    if folder or dest.is_dir():
        dest = dest / name
    fernet = _fernet(key_file)
    manifest = Manifest(vendor=conn.vendor, created=now.isoformat(timespec="seconds"))
    with scratch_dir() as tmp:
        if conn.vendor == "sqlite":
            conn.ensure_connection()
            copy = sqlite3.connect(tmp / "copy.sqlite3")
            try:
                conn.connection.backup(copy)
                manifest.counts = _sqlite_counts(copy)
                manifest.audit_seq, manifest.audit_hash = _chain_end(copy.cursor())
            finally:
                copy.close()
            raw = (tmp / "copy.sqlite3").read_bytes()
        elif conn.vendor == "postgresql":
            pg_dump = _pg_tool("pg_dump")
            params = _pg_settings(using)
            with _pg_connect(params) as pg, pg.cursor() as cur:
                # One snapshot for the counts and the dump, so they agree.
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cur.execute("SELECT pg_export_snapshot()")
                snapshot = cur.fetchone()[0]
                manifest.counts = _pg_counts(cur)
                manifest.audit_seq, manifest.audit_hash = _chain_end(cur)
                _run([pg_dump, "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
                      "--file", str(tmp / "dump"), params["dbname"]], _pg_env(params), "pg_dump")
            raw = (tmp / "dump").read_bytes()
        else:
            raise BackupError(f"Backups support SQLite and PostgreSQL, not {conn.vendor}.")
    payload = MAGIC + manifest.dumps() + b"\n" + gzip.compress(raw, compresslevel=6)
    write_private(dest, fernet.encrypt(payload))
    return dest, manifest


def prune(directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups that `backup` named in `directory`."""
    found = sorted(Path(directory).glob("stillhere-*.backup"))
    gone = found[:-keep] if keep > 0 else []
    for p in gone:
        p.unlink()
    return gone


def read(path: Path, key_file: Path | None = None) -> tuple[Manifest, bytes]:
    try:
        token = Path(path).read_bytes()
    except OSError as e:
        raise BackupError(f"Could not read the backup {path}: {e.strerror}.") from None
    try:
        payload = _fernet(key_file).decrypt(token)
    except InvalidToken:
        raise BackupError("This backup cannot be opened with the key given: it was made with another key, "
                          "or the file is damaged.") from None
    if not payload.startswith(MAGIC):
        raise BackupError("This file is not a stillhere backup.")
    head, _, body = payload[len(MAGIC):].partition(b"\n")
    return Manifest.loads(head), gzip.decompress(body)


# --- restore and check ---------------------------------------------------------

@dataclass
class Check:
    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check(manifest: Manifest, using: str) -> Check:
    """Compare a restored database with its manifest and verify its audit chain."""
    from stillhere.audit.chain import verify

    result = Check()
    conn = connections[using]
    with conn.cursor() as cur:
        if conn.vendor == "sqlite":
            cur.execute("PRAGMA integrity_check")
            status = cur.fetchone()[0]
            if status != "ok":
                result.problems.append("SQLite's own integrity check failed on the restored copy.")
            counts = _sqlite_counts(conn.connection)
        else:
            counts = _pg_counts(cur)
    wrong = []
    for table, n in sorted(manifest.counts.items()):
        got = counts.get(table)
        if got is None:
            wrong.append(f"the table {table} is missing")
        elif got != n:
            wrong.append(f"{table} has {got} rows, the backup recorded {n}")
    result.lines.append(f"Row counts: {len(manifest.counts)} tables, {manifest.rows} rows in the backup; "
                        + ("every table matches." if not wrong else f"{len(wrong)} do not match."))
    result.problems += [f"Row count: {w}." for w in wrong]
    report = verify(using=using)
    if report.checked:
        result.lines.append(f"Audit trail: {report.checked} events checked, from event {report.first} to "
                            f"event {report.last}; " + ("each sealed and in order." if report.ok else
                                                        f"{len(report.problems)} problem(s)."))
    else:
        result.lines.append("Audit trail: empty.")
    result.problems += [f"Audit trail: {p}" for p in report.problems]
    if report.last != (manifest.audit_seq or None) and not (report.last is None and manifest.audit_seq == 0):
        result.problems.append(f"Audit trail: the backup recorded the trail ending at event {manifest.audit_seq}, "
                               f"the restored copy ends at event {report.last or 0}.")
    return result


@contextmanager
def _alias(using: str, name: str):
    connections.databases[SCRATCH] = {**connections.databases[using], "NAME": name, "TEST": {}}
    try:
        yield SCRATCH
    finally:
        connections[SCRATCH].close()
        del connections[SCRATCH]
        del connections.databases[SCRATCH]


def verify_backup(path: Path, key_file: Path | None = None, using: str = "default") -> tuple[Manifest, Check]:
    """Restore into a scratch database (never the live one) and check it."""
    manifest, raw = read(path, key_file)
    vendor = connections[using].vendor
    if manifest.vendor != vendor:
        raise BackupError(f"This is a {manifest.vendor} backup; this installation uses {vendor}.")
    with scratch_dir() as tmp:
        if vendor == "sqlite":
            db = tmp / "scratch.sqlite3"
            write_private(db, raw)
            with _alias(using, str(db)) as alias:
                return manifest, check(manifest, alias)
        pg_restore = _pg_tool("pg_restore")
        write_private(tmp / "dump", raw)
        params = _pg_settings(using)
        scratch = f"{params['dbname']}_restore_check_{os.getpid()}"[:63]
        with _pg_connect(params, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
            admin.execute(f'CREATE DATABASE "{scratch}"')
        try:
            _run([pg_restore, "--no-owner", "--no-privileges", "--exit-on-error", "--dbname", scratch,
                  str(tmp / "dump")], _pg_env(params), "pg_restore into a scratch database")
            with _alias(using, scratch) as alias:
                return manifest, check(manifest, alias)
        finally:
            with _pg_connect(params, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')


def restore(path: Path, key_file: Path | None = None, using: str = "default") -> tuple[Manifest, Check]:
    """Replace the live database with the backup, then check it. Stop the web app and worker first."""
    manifest, raw = read(path, key_file)
    conn = connections[using]
    if manifest.vendor != conn.vendor:
        raise BackupError(f"This is a {manifest.vendor} backup; this installation uses {conn.vendor}.")
    with scratch_dir() as tmp:
        if conn.vendor == "sqlite":
            write_private(tmp / "copy.sqlite3", raw)
            src = sqlite3.connect(tmp / "copy.sqlite3")
            try:
                conn.ensure_connection()
                src.backup(conn.connection)
            finally:
                src.close()
        else:
            pg_restore = _pg_tool("pg_restore")
            write_private(tmp / "dump", raw)
            params = _pg_settings(using)
            conn.close()
            _run([pg_restore, "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
                  "--exit-on-error", "--dbname", params["dbname"], str(tmp / "dump")], _pg_env(params), "pg_restore")
    return manifest, check(manifest, using)
