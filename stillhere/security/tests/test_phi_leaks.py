"""Nothing the app writes besides the database names a client.

A real `stillhere` process (subprocesses, a fresh SQLite file and data dir)
imports a client, is handed a file about her that it rejects, then runs a
tick that crashes on a defect whose message quotes her name, email and
phone. Every byte it wrote to stdout, stderr, its logs, its report and its
data directory is then searched for them. The database itself is left out:
it holds her record by design (encryption of those columns is the next step,
see README "Security and privacy").
"""

import os
import subprocess
import sys

NAME, SURNAME = "Zephyrine", "Quillfeather"
EMAIL, PHONE = "zephyrine.q@example.net", "+447700900999"
NEEDLES = [NAME, SURNAME, EMAIL, PHONE, PHONE.lstrip("+"), "zephyrine"]

CRASHING_TICK = f"""
import django, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stillhere.settings")
django.setup()
from stillhere.clients.models import Client
from stillhere.outreach import sending

def defect(now):
    c = Client.objects.get(external_id="z-1")
    raise ValueError(f"Invalid address {{c.first_name}} {{c.last_name}} <{{c.email}}> {{c.phone}}")

sending.UNITS = (defect,)
from stillhere.cli import main
main(["stillhere", "tick", "--as-of", "2026-03-05T11:00"])
"""


def test_a_rejected_import_and_a_crashed_tick_leave_no_client_data_behind(tmp_path):
    data = tmp_path / "data"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{data / 'db.sqlite3'}", "STILLHERE_DATA_DIR": str(data),
           "LOG_LEVEL": "INFO"}
    env.pop("STILLHERE_SHOW_ERRORS", None)
    cli = [sys.executable, "-m", "stillhere.cli"]
    head = "client_id,first_name,last_name,email,phone,birth_date,country\n"
    good = tmp_path / "clients-good.csv"
    good.write_text(head + f"z-1,{NAME},{SURNAME},{EMAIL},{PHONE},1990-04-02,GB\n")
    bad = tmp_path / "clients-bad.csv"   # her name where a country goes, her phone as a birth date
    bad.write_text(head + f"z-1,{NAME},{SURNAME},{EMAIL}x@,{PHONE},{PHONE},{NAME}\n")
    appts = tmp_path / "appointments.csv"
    appts.write_text("client_id,clinician,start,status,client_name\n"
                     f"z-1,sam@example.org,2026-03-02T10:00:00Z,no_show,{NAME} {SURNAME}\n")
    report = tmp_path / "report.json"
    written = []

    def run(args, code):
        r = subprocess.run(args, env=env, capture_output=True, text=True, cwd=tmp_path)
        assert r.returncode == code, r.stdout + r.stderr
        written.append(r.stdout + r.stderr)
        return r

    subprocess.run(cli + ["migrate", "-v0"], env=env, check=True)
    subprocess.run(cli + ["import", "appointments", str(appts), "--clients", str(good),
                          "--timezone", "Europe/London"], env=env, check=True, capture_output=True)
    rejected = run(cli + ["import", "appointments", str(appts), "--clients", str(bad), "--report", str(report)], 2)
    assert "clients-bad.csv line 2, column email (value hidden" in rejected.stderr + rejected.stdout
    crashed = run([sys.executable, "-c", CRASHING_TICK], 1)
    assert "stopped with an internal error" in crashed.stderr
    assert "ValueError (message withheld" in crashed.stderr
    assert "sending.py" not in crashed.stderr or "line" in crashed.stderr  # where, kept

    written.append(report.read_text())
    for path in data.rglob("*"):
        if path.is_file() and not path.name.startswith("db.sqlite3"):
            written.append(path.read_bytes().decode("utf-8", "replace"))
    everything = "\n".join(written)
    for needle in NEEDLES:
        assert needle.lower() not in everything.lower(), f"{needle!r} was written outside the database"
