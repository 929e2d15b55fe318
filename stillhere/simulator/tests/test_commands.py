import subprocess
import sys
from datetime import date

import pandas as pd
from django.core.management import call_command
from django.test import TestCase

from stillhere.accounts.models import Practice
from stillhere.audit.models import AuditEvent
from stillhere.clients.models import Appointment, Client, Episode
from stillhere.simulator.management.commands.demo import DEMO_PASSWORD
from stillhere.simulator.stories import STORY_IDS


class SimulateCommandTestCase(TestCase):
    def test_it_writes_the_generic_csv_files_and_parquet(self):
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory() as tmp:
            call_command("simulate", clients=200, seed=1, out=Path(tmp), as_of=date(2026, 6, 1), stdout=open("/dev/null", "w"))
            names = {p.name for p in Path(tmp).iterdir()}
            self.assertTrue({"clients.csv", "appointments.csv", "measures.csv", "truth.parquet",
                             "appointments.parquet", "truth_episodes.parquet"} <= names)
            appts = pd.read_csv(Path(tmp) / "appointments.csv")
            self.assertEqual(list(appts.columns[:5]), ["appointment_id", "client_id", "clinician", "start", "status"])
            # ISO 8601 with the practice's offset
            self.assertRegex(appts.start.iloc[0], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")
            self.assertEqual(len(pd.read_csv(Path(tmp) / "clients.csv")), 200)

    def test_into_db_loads_a_whole_practice(self):
        call_command("simulate", clients=120, seed=2, into_db=True, practice="sim", stdout=open("/dev/null", "w"))
        practice = Practice.objects.get(slug="sim")
        self.assertEqual(Client.objects.filter(practice=practice).count(), 120)
        self.assertGreater(Appointment.objects.filter(practice=practice).count(), 500)
        returns = Episode.objects.filter(practice=practice, previous__isnull=False)
        for e in returns:
            self.assertEqual(e.previous.client_id, e.client_id)
        self.assertTrue(AuditEvent.objects.filter(verb="practice-loaded").exists())

    def test_it_refuses_without_a_destination(self):
        from django.core.management import CommandError

        with self.assertRaisesMessage(CommandError, "--out DIR, --into-db"):
            call_command("simulate", clients=10)


class DemoCommandTestCase(TestCase):
    def test_the_demo_clinician_signs_in_and_sees_their_clients_and_the_stories(self):
        call_command("demo", clients=80, no_serve=True, stdout=open("/dev/null", "w"))
        r = self.client.post("/login/", {"username": "clinician001@practice.example", "password": DEMO_PASSWORD})
        self.assertRedirects(r, "/")
        page = self.client.get("/clients/").content.decode()
        for name in ("Dana Whitfield", "Marcus Ellery", "Jordan Reyes", "Priya Natarajan"):
            self.assertIn(name, page)
        story = Client.objects.get(external_id="story-first")
        detail = self.client.get(f"/clients/{story.code}/")
        self.assertContains(detail, "30 min late")
        self.assertContains(detail, "Hard session")
        self.assertEqual({x for x in Client.objects.values_list("external_id", flat=True) if x.startswith("story-")},
                         set(STORY_IDS))


def test_the_cli_lists_its_verbs():
    out = subprocess.run([sys.executable, "-m", "stillhere.cli", "--help"], capture_output=True, text=True,
                         check=True).stdout
    for verb in ("simulate", "demo", "migrate"):
        assert verb in out


def test_every_verb_has_help():
    for verb in ("simulate", "demo", "migrate"):
        out = subprocess.run([sys.executable, "-m", "stillhere.cli", verb, "--help"], capture_output=True,
                             text=True, check=True).stdout
        assert "usage: stillhere " + verb in out
