"""Malformed files never raise and never write: hypothesis mutates our real
files (and builds odd JSON from scratch) and checks every outcome."""

import json
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from django.contrib.auth import get_user_model
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from stillhere.accounts.models import Membership, Practice
from stillhere.clients.models import Appointment, Client, Episode, SessionMarker
from stillhere.ingest.fhir import FhirSource
from stillhere.ingest.ics import IcsSource
from stillhere.ingest.mapping import load_preset
from stillhere.ingest.service import run_import
from stillhere.ingest.sources import CsvSource
from stillhere.measures.models import MeasureResult
from stillhere.test import make_client, make_member

from .helpers import FILES

FUZZ = settings(max_examples=int(os.getenv("FUZZ_EXAMPLES", "40")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow])
NASTY = [b",", b'"', b"\n", b"\r", b"\x00", b"\xff\xfe", b"\xc3", b";", b"{", b"}", b"[", b"]", b":",
         b"BEGIN:VEVENT\r\n", b"END:VCALENDAR", b"RRULE:FREQ=SECONDLY\r\n", b"9999", b"-1", b"T25:61",
         b"2026-02-30", b"\\", b"\t", b"null", b"\"resourceType\":\"Bundle\"", b"=", b"mailto:"]


@st.composite
def mutated(draw, original: bytes):
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 8))):
        pos = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["insert", "delete", "replace", "truncate"]))
        chunk = draw(st.one_of(st.sampled_from(NASTY), st.binary(min_size=1, max_size=6)))
        if action == "insert":
            data[pos:pos] = chunk
        elif action == "delete":
            del data[pos:pos + draw(st.integers(1, 40))]
        elif action == "replace":
            data[pos:pos + len(chunk)] = chunk
        else:
            del data[pos:]
    return bytes(data)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["resourceType", "id", "status", "start", "entry", "resource", "participant", "actor",
                         "reference", "subject", "name", "given", "item", "answer", "valueInteger", "code",
                         "coding", "period", "fullUrl"]), children, max_size=5),
    max_leaves=20)
resources = st.fixed_dictionaries({
    "resourceType": st.sampled_from(["Patient", "Appointment", "Encounter", "QuestionnaireResponse",
                                     "Observation", "Practitioner", "Bundle", "Basic"]),
    "id": st.text(max_size=8)}, optional={"status": json_values, "start": json_values, "entry": json_values,
                                          "participant": json_values, "subject": json_values,
                                          "name": json_values, "item": json_values})


class FuzzTestCase(TestCase):
    def the_practice(self):
        practice, created = Practice.objects.get_or_create(slug="fuzz", defaults={"name": "Fuzz",
                                                                                 "timezone": "Europe/London"})
        if created:
            make_client(practice, make_member(practice, "alice", "clinician"), "r-001", "Ana", "Abbott")
        return practice

    def snapshot(self):
        return tuple(m.objects.count() for m in (Client, Episode, Appointment, SessionMarker, MeasureResult,
                                                 Membership, get_user_model()))

    def check(self, source):
        self.the_practice()
        before = self.snapshot()
        report = run_import(self.the_practice(), source)  # must not raise
        self.assertFalse([p for p in report.problems if "internal error" in p.reason], report.problems)
        if report.failed:
            self.assertEqual(self.snapshot(), before)
            self.assertEqual(report.status, "rejected")
        for p in report.problems:
            str(p)  # every problem can be shown
        json.dumps(report.to_dict(), default=str)

    def _file(self, name, data: bytes) -> Path:
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        path = Path(self.tmp.name) / name
        path.write_bytes(data)
        return path

    @FUZZ
    @given(mutated((FILES / "csv" / "appointments.csv").read_bytes()),
           mutated((FILES / "csv" / "clients.csv").read_bytes()))
    def test_malformed_csv(self, appts, clients):
        self.check(CsvSource(self._file("appointments.csv", appts), self._file("clients.csv", clients)))

    @FUZZ
    @given(mutated((FILES / "csv" / "measures.csv").read_bytes()),
           st.sampled_from([None, "simplepractice", "therapynotes", "openemr"]))
    def test_malformed_measures_and_presets(self, measures, preset):
        appts = self._file("appointments.csv", (FILES / "csv" / "appointments.csv").read_bytes())
        clients = self._file("clients.csv", (FILES / "csv" / "clients.csv").read_bytes())
        mapping = load_preset(preset) if preset else None
        self.check(CsvSource(appts, clients, self._file("measures.csv", measures), mapping))

    @FUZZ
    @given(mutated((FILES / "fhir" / "clinic-bundle.json").read_bytes()))
    def test_malformed_fhir_json(self, data):
        self.check(FhirSource(self._file("bundle.json", data)))

    @FUZZ
    @given(st.lists(st.one_of(resources, json_values), max_size=6))
    def test_odd_fhir_ndjson(self, items):
        text = "\n".join(json.dumps(i) for i in items)
        self.check(FhirSource(self._file("Resources.ndjson", text.encode())))

    @FUZZ
    @given(mutated((FILES / "ics" / "google-export.ics").read_bytes()))
    def test_malformed_ics(self, data):
        self.check(IcsSource(self._file("cal.ics", data), clinician="alice@example.org",
                             now=datetime(2026, 5, 1, tzinfo=timezone.utc), until="2026-06-30"))
