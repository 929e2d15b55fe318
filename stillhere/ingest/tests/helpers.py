import io
import json
import os
import shutil
import tempfile
from pathlib import Path

from django.core.management import CommandError, call_command

FILES = Path(__file__).parent / "files"


def run(*args) -> tuple[int, str, str]:
    """`stillhere import …` in-process; returns (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import", *[str(a) for a in args], stdout=out, stderr=err)
        code = 0
    except CommandError as e:
        code = e.returncode
        err.write(str(e))
    return code, out.getvalue(), err.getvalue()


def run_with_report(*args) -> tuple[int, dict, str]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "report.json"
        code, out, err = run(*args, "--report", path)
        return code, json.loads(path.read_text()), out + err


def write(tmp, name, text) -> Path:
    p = Path(tmp) / name
    p.write_text(text)
    return p


class PrivateDataDir:
    """Uploads go to a temporary data dir, removed after the test."""

    def setUp(self):
        super().setUp()
        self._old_data_dir = os.environ.get("STILLHERE_DATA_DIR")
        self._data_dir = tempfile.mkdtemp()
        os.environ["STILLHERE_DATA_DIR"] = self._data_dir

    def tearDown(self):
        if self._old_data_dir is None:
            os.environ.pop("STILLHERE_DATA_DIR", None)
        else:
            os.environ["STILLHERE_DATA_DIR"] = self._old_data_dir
        shutil.rmtree(self._data_dir, ignore_errors=True)
        super().tearDown()


class ImportFiles:
    """A test's own folder for the files it imports (mix in before a TestCase)."""

    def setUp(self):
        super().setUp()
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.tmp.cleanup()
        super().tearDown()

    def file(self, name, text) -> Path:
        return write(self.tmp.name, name, text)
