"""Owner-only files: the data folder, the SQLite database, the secret key,
backups, exports, import reports and uploaded import files are created
0700 (folders) and 0600 (files), even when the shell's umask is the usual 022.

Real `stillhere` processes on a fresh data folder, as in test_phi_leaks.py.
"""

import os
import stat
import subprocess
import sys
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile

from stillhere.test import BaseTestCase


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_every_file_with_client_data_is_its_owners_only(tmp_path):
    data = tmp_path / "data"   # does not exist yet: stillhere creates it
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY", "FIELD_ENCRYPTION_KEYS")}
    env["STILLHERE_DATA_DIR"] = str(data)
    cli = [sys.executable, "-m", "stillhere.cli"]

    def run(*args, code=0):
        r = subprocess.run(cli + list(args), env=env, capture_output=True, text=True, cwd=tmp_path,
                           preexec_fn=lambda: os.umask(0o022))
        assert r.returncode == code, r.stdout + r.stderr
        return r

    (tmp_path / "clients.csv").write_text("client_id,first_name,last_name,email\nz-1,Mara,Quill,mara@example.org\n")
    (tmp_path / "appointments.csv").write_text("client_id,clinician,start,status\n"
                                               "z-1,sam@example.org,2026-03-02T10:00:00Z,attended\n")
    run("migrate", "-v0")
    run("import", "appointments", str(tmp_path / "appointments.csv"), "--clients", str(tmp_path / "clients.csv"),
        "--timezone", "Europe/London", "--report", str(tmp_path / "report.json"))
    run("client", "export", "z-1")
    run("backup")

    assert mode(data) == 0o700
    db = data / "stillhere.sqlite3"
    assert db.exists() and db.stat().st_size > 0
    for path in [db, data / "secret_key", tmp_path / "report.json"] + [
            p for p in (data / "stillhere.sqlite3-wal", data / "stillhere.sqlite3-shm") if p.exists()]:
        assert mode(path) == 0o600, path
    [export] = (data / "exports").glob("client-record-*.zip")
    assert (mode(data / "exports"), mode(export)) == (0o700, 0o600)
    [backup] = (data / "backups").glob("*.backup")
    assert (mode(data / "backups"), mode(backup)) == (0o700, 0o600)


class UploadModesTestCase(BaseTestCase):
    def test_an_uploaded_import_file_and_its_folders_are_owner_only(self):
        import tempfile
        from unittest import mock

        from stillhere.ingest import uploads
        from stillhere.ingest.models import ImportRun

        with tempfile.TemporaryDirectory() as tmp, mock.patch.dict("os.environ", {"STILLHERE_DATA_DIR": tmp}):
            old = os.umask(0o022)
            try:
                run = ImportRun.objects.create(practice=self.riverside, kind="csv")
                name = uploads.save(run, "clients", SimpleUploadedFile("c.csv", b"client_id\nz-1\n"))
            finally:
                os.umask(old)
            folder = Path(tmp) / "imports" / str(run.code)
            self.assertEqual(mode(Path(tmp) / "imports"), 0o700)
            self.assertEqual(mode(folder), 0o700)
            self.assertEqual(mode(folder / name), 0o600)
