"""Schemathesis against the live schema: every operation, with a director's
token, generated inputs good and bad. No answer may be a server error, and
every answer must match what the schema says (status, content type, body).

The summary line is printed past pytest's capture so it shows in the CI log.
"""

import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from stillhere.accounts.models import Membership, Practice
from stillhere.api.models import ApiToken
from stillhere.test import make_client, make_member

from .helpers import make_step

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


@pytest.fixture
def director_token(transactional_db, settings):
    settings.API_RATE_LIMIT = 1_000_000
    settings.INGEST_INLINE = True
    settings.API_SCAN_INLINE = True
    practice = Practice.objects.create(name="Riverside Practice", slug="riverside", timezone="Europe/London")
    alice = make_member(practice, "alice", Membership.Role.CLINICIAN)
    dora = make_member(practice, "dora", Membership.Role.DIRECTOR)
    ana = make_client(practice, alice, "r-001", "Ana", "Abbott")
    make_step(ana, "awaiting_approval")
    return ApiToken.issue(dora, "schemathesis")[1]


def test_schemathesis_finds_no_server_error_and_no_answer_off_the_schema(live_server, director_token, capsys):
    # The first request imports every view (the PHI filter's language model among them): let that
    # happen before schemathesis starts its clock.
    urllib.request.urlopen(f"{live_server.url}/api/v1/openapi.json", timeout=300).read()
    env = {**os.environ, "SCHEMATHESIS_HOOKS": ""}
    proc = subprocess.run(
        [str(SCHEMATHESIS), "run", f"{live_server.url}/api/v1/openapi.json", "-H",
         f"Authorization: Bearer {director_token}", "--checks", CHECKS, "--max-examples", "12", "--seed", "16",
         "--phases", "examples,coverage,fuzzing", "--request-timeout", "30", "--no-color"],
        capture_output=True, text=True, timeout=600, env=env)
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    summary = [ln for ln in lines if re.match(r"^=+ .* in [\d.]+s =+$", ln)][-1:]
    with capsys.disabled():
        print("\nschemathesis:", summary[0].strip(" =") if summary else "(no summary line)")
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
