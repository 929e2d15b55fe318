import io
import json
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
