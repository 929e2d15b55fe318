"""The README's API example, run as written against a live server: it books
the EHR's appointments, reads back what changed and posts a session rating,
and a second run changes nothing."""

import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

from stillhere.accounts.models import Membership, Practice
from stillhere.api.models import ApiToken
from stillhere.clients.models import Appointment
from stillhere.measures.models import MeasureResult
from stillhere.test import make_client, make_member

README = Path(__file__).resolve().parents[3] / "README.md"


def example() -> str:
    text = README.read_text()
    return re.search(r"<!-- example: api-sync -->\n```python\n(.*?)```", text, re.S).group(1)


def test_the_readme_sync_example_runs_and_is_idempotent(live_server, transactional_db, settings):
    settings.API_RATE_LIMIT = 100_000
    practice = Practice.objects.create(name="Riverside Practice", slug="riverside", timezone="Europe/London")
    alice = make_member(practice, "alice", Membership.Role.CLINICIAN)
    bob = make_member(practice, "bob", Membership.Role.CLINICIAN)
    make_client(practice, alice, "r-001", "Ana", "Abbott")
    make_client(practice, bob, "r-002", "Ben", "Baker")
    secret = ApiToken.issue(alice, "EHR sync")[1]
    urllib.request.urlopen(f"{live_server.url}/login/", timeout=300).read()  # the first request imports every view
    env = {**os.environ, "STILLHERE_URL": live_server.url, "STILLHERE_TOKEN": secret}

    def run():
        p = subprocess.run([sys.executable, "-c", example()], env=env, capture_output=True, text=True, timeout=300)
        assert p.returncode == 0, p.stderr
        return p.stdout

    first = run()
    assert "4 appointments changed since 2000-01-01T00:00:00+00:00" in first   # Ana's two and the two booked
    assert "SRS 34.7 recorded" in first
    ana_appts = Appointment.objects.filter(episode__client__external_id="r-001")
    assert sorted(ana_appts.exclude(external_id__startswith="r-").values_list("external_id", "status")) == [
        ("ehr-7001", "attended"), ("ehr-7002", "scheduled")]
    assert ana_appts.get(external_id="ehr-7001").session_number == 2
    srs = MeasureResult.objects.get(external_id="ehr-srs-7001")
    assert (srs.source, srs.appointment.external_id) == ("api", "ehr-7001")

    second = run()
    assert "SRS 34.7 recorded" in second
    assert Appointment.objects.filter(external_id__startswith="ehr-").count() == 2
    assert MeasureResult.objects.count() == 1
