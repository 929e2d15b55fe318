import tempfile
from datetime import date, datetime, timezone
from pathlib import Path

from django import test as django_test
from django.contrib.auth import get_user_model
from django.core.management import call_command

from stillhere.accounts.models import Membership
from stillhere.audit.models import AuditEvent
from stillhere.clients.models import Appointment, Client, Episode, SessionMarker
from stillhere.measures.models import MeasureResult
from stillhere.test import BaseTestCase

from .helpers import FILES, run, run_with_report, write

CSV = FILES / "csv"


def statuses(practice, client_ext):
    return list(Appointment.objects.filter(practice=practice, episode__client__external_id=client_ext)
                .order_by("start").values_list("status", flat=True))


class GenericCsvTestCase(BaseTestCase):
    def import_example(self, *extra):
        return run("appointments", CSV / "appointments.csv", "--clients", CSV / "clients.csv",
                   "--measures", CSV / "measures.csv", "--practice", "riverside", *extra)

    def test_it_imports_our_example_files(self):
        code, out, err = self.import_example()
        self.assertEqual(code, 0, err)
        maya = Client.objects.get(practice=self.riverside, external_id="c-01")
        self.assertEqual((maya.first_name, maya.email, maya.consent_email, maya.consent_voicemail),
                         ("Maya", "maya.lind@example.org", True, False))
        self.assertEqual(maya.style_flags, ["avoidant"])
        theo = Client.objects.get(practice=self.riverside, external_id="c-02")
        self.assertEqual(theo.display_name, "Theo Grant")
        self.assertTrue(theo.safety_concern)
        self.assertEqual(Appointment.objects.filter(practice=self.riverside, external_id__startswith="a-").count(), 9)
        self.assertIn("9 new", out)

    def test_local_times_are_the_practices_zone_and_offsets_are_honoured(self):
        self.import_example()
        a = Appointment.objects.get(external_id="a-2002")  # 15:00 in London in April is 14:00 UTC
        self.assertEqual(a.start, datetime(2026, 4, 13, 14, tzinfo=timezone.utc))
        b = Appointment.objects.get(external_id="a-2001")
        self.assertEqual(b.start, datetime(2026, 4, 6, 14, tzinfo=timezone.utc))
        self.assertEqual(b.cancelled_at, datetime(2026, 4, 6, 8, 30, tzinfo=timezone.utc))
        self.assertEqual(Appointment.objects.get(external_id="a-1002").start,
                         datetime(2026, 2, 9, 10, tzinfo=timezone.utc))

    def test_session_numbers_count_attended_sessions_in_the_episode(self):
        self.import_example()
        nums = list(Appointment.objects.filter(episode__client__external_id="c-01").order_by("start")
                    .values_list("status", "session_number"))
        self.assertEqual(nums, [("attended", 1), ("attended", 2), ("no_show", None), ("attended", 3)])

    def test_an_appointment_joins_the_open_episode_with_that_clinician_or_starts_one(self):
        self.import_example()
        maya = Client.objects.get(external_id="c-01")
        ep = Episode.objects.get(client=maya)
        self.assertEqual(ep.started, date(2026, 2, 2))
        self.assertEqual(ep.clinician, self.alice)
        iris = Episode.objects.get(external_id="ep-iris")
        self.assertEqual(iris.appointments.count(), 2)
        # Ana already has an open episode with Alice: a new session joins it.
        with tempfile.TemporaryDirectory() as tmp:
            f = write(tmp, "appointments.csv", "client_id,clinician,start,status\n"
                      "r-001,alice@example.org,2026-01-19T10:00:00Z,attended\n")
            self.assertEqual(run("appointments", f, "--practice", "riverside")[0], 0)
        self.assertEqual(Episode.objects.filter(client=self.ana).count(), 1)
        self.assertEqual(list(Appointment.objects.filter(episode__client=self.ana).order_by("start")
                              .values_list("session_number", flat=True)), [1, None, 2])

    def test_markers_become_session_markers(self):
        self.import_example()
        self.assertEqual(SessionMarker.objects.get(appointment__external_id="a-1002").kind, "hard_session")
        self.assertEqual(SessionMarker.objects.get(appointment__external_id="a-1004").kind, "checkin")

    def test_unknown_clinicians_are_added_without_a_password_and_reported(self):
        code, report, text = run_with_report(
            "appointments", CSV / "appointments.csv", "--clients", CSV / "clients.csv", "--practice", "riverside")
        self.assertEqual(code, 0)
        names = {(c["email"], c["name"]) for c in report["new_clinicians"]}
        self.assertEqual(names, {("", "Sam Okafor"), ("carol@example.org", "")})
        sam = Membership.objects.get(practice=self.riverside, display_name="Sam Okafor")
        self.assertEqual(sam.role, Membership.Role.CLINICIAN)
        self.assertFalse(sam.user.has_usable_password())
        carol = get_user_model().objects.get(email="carol@example.org")
        self.assertFalse(carol.has_usable_password())
        self.assertIn("Sam Okafor", text)
        self.assertEqual(Membership.objects.filter(user__username="alice").count(), 1)  # Alice is known

    def test_measures_are_scored_by_the_instrument_registry(self):
        self.import_example()
        phq = MeasureResult.objects.filter(client__external_id="c-01", instrument="PHQ-9").order_by("taken_on")
        self.assertEqual([(m.total, m.items[8]) for m in phq], [(12, 1), (9, 0)])
        self.assertEqual(MeasureResult.objects.get(instrument="GAD-7").total, 11)
        self.assertEqual(phq[0].episode, Episode.objects.get(client__external_id="c-01"))
        self.assertEqual(phq[0].source, "csv")

    def test_reimporting_the_same_files_changes_nothing(self):
        self.import_example()
        before = (Client.objects.count(), Episode.objects.count(), Appointment.objects.count(),
                  SessionMarker.objects.count(), MeasureResult.objects.count())
        code, report, _ = run_with_report(
            "appointments", CSV / "appointments.csv", "--clients", CSV / "clients.csv",
            "--measures", CSV / "measures.csv", "--practice", "riverside")
        self.assertEqual(code, 0)
        after = (Client.objects.count(), Episode.objects.count(), Appointment.objects.count(),
                 SessionMarker.objects.count(), MeasureResult.objects.count())
        self.assertEqual(before, after)
        self.assertEqual(report["counts"]["appointments"], {"created": 0, "updated": 0, "unchanged": 9})
        self.assertEqual(report["counts"]["clients"], {"created": 0, "updated": 0, "unchanged": 3})
        self.assertEqual(report["counts"]["measures"], {"created": 0, "updated": 0, "unchanged": 4})

    def test_changed_rows_update_in_place(self):
        self.import_example()
        text = (CSV / "appointments.csv").read_text().replace(
            "a-2003,c-02,Sam Okafor,2026-04-20T15:00,scheduled", "a-2003,c-02,Sam Okafor,2026-04-20T15:00,attended")
        with tempfile.TemporaryDirectory() as tmp:
            f = write(tmp, "appointments.csv", text.replace(",50,12,,,session,hard_session", ",50,0,,,session,rupture"))
            code, report, _ = run_with_report("appointments", f, "--practice", "riverside")
        self.assertEqual(code, 0)
        self.assertEqual(report["counts"]["appointments"], {"created": 0, "updated": 2, "unchanged": 7})
        a = Appointment.objects.get(external_id="a-2003")
        self.assertEqual((a.status, a.session_number), ("attended", 2))
        self.assertEqual(list(SessionMarker.objects.filter(appointment__external_id="a-1002")
                              .values_list("kind", flat=True)), ["rupture"])
        self.assertEqual(Appointment.objects.get(external_id="a-1002").minutes_late, 0)

    def test_a_dry_run_checks_everything_and_writes_nothing(self):
        before = Appointment.objects.count()
        code, report, text = run_with_report(
            "appointments", CSV / "appointments.csv", "--clients", CSV / "clients.csv", "--practice", "riverside",
            "--dry-run")
        self.assertEqual(code, 0)
        self.assertEqual(report["status"], "checked")
        self.assertEqual(report["counts"]["appointments"]["created"], 9)
        self.assertEqual(Appointment.objects.count(), before)
        self.assertFalse(Client.objects.filter(external_id="c-01").exists())
        self.assertFalse(Membership.objects.filter(display_name="Sam Okafor").exists())
        self.assertIn("nothing written", text)

    def test_one_bad_row_writes_nothing_and_exits_2_with_a_report(self):
        text = (CSV / "appointments.csv").read_text()
        bad = text.replace("2026-02-16T10:00:00Z,no_show", "2026-02-30T10:00:00Z,no_show").replace(
            "a-3002,c-03,carol@example.org,2026-03-16T09:00:00+00:00,clinician_cancelled",
            "a-3002,c-03,carol@example.org,2026-03-16T09:00:00+00:00,vanished")
        before = (Client.objects.count(), Appointment.objects.count(), Episode.objects.count(),
                  Membership.objects.count(), get_user_model().objects.count())
        with tempfile.TemporaryDirectory() as tmp:
            f = write(tmp, "appointments.csv", bad)
            code, report, out = run_with_report("appointments", f, "--clients", CSV / "clients.csv",
                                                "--practice", "riverside")
        self.assertEqual(code, 2)
        self.assertEqual(report["status"], "rejected")
        probs = [(p["file"], p["line"], p["column"], p["value"]) for p in report["problems"]]
        self.assertEqual(probs, [("appointments.csv", 4, "start", "(value hidden, 20 characters)"),
                                 ("appointments.csv", 10, "status", "(value hidden, 8 characters)")])
        self.assertIn("not a date", report["problems"][0]["reason"])
        self.assertIn("appointments.csv line 10, column status (value hidden, 8 characters): is not a status", out)
        self.assertNotIn("vanished", out)
        after = (Client.objects.count(), Appointment.objects.count(), Episode.objects.count(),
                 Membership.objects.count(), get_user_model().objects.count())
        self.assertEqual(before, after)
        self.assertEqual(AuditEvent.objects.filter(verb="import-rejected").count(), 1)
        self.assertFalse(AuditEvent.objects.filter(verb="import-completed").exists())

    def test_a_problem_found_by_the_writer_also_writes_nothing(self):
        with tempfile.TemporaryDirectory() as tmp:
            f = write(tmp, "appointments.csv", "client_id,clinician,start,status\n"
                      "c-new,alice@example.org,2026-03-02T10:00:00Z,attended\n"
                      "nobody,alice@example.org,2026-03-03T10:00:00Z,attended\n")
            c = write(tmp, "clients.csv", "client_id,first_name,last_name\nc-new,Nell,Shaw\n")
            code, report, _ = run_with_report("appointments", f, "--clients", c, "--practice", "riverside")
        self.assertEqual(code, 2)
        self.assertEqual([(p["line"], p["column"], p["value"]) for p in report["problems"]],
                         [(3, "client_id", "(value hidden, 6 characters)")])
        self.assertFalse(Client.objects.filter(external_id="c-new").exists())

    def test_unknown_columns_are_reported_not_dropped_silently(self):
        with tempfile.TemporaryDirectory() as tmp:
            f = write(tmp, "appointments.csv", "client_id,clinician,start,status,Room,Copay\n"
                      "r-001,alice@example.org,2026-03-02T10:00:00Z,attended,3,20\n")
            code, report, text = run_with_report("appointments", f, "--practice", "riverside")
        self.assertEqual(code, 0)
        self.assertEqual(report["unknown_columns"], {"appointments.csv": ["Room", "Copay"]})
        self.assertIn("Unknown columns in appointments.csv (not imported): Room, Copay", text)

    def test_a_missing_required_column_is_named(self):
        with tempfile.TemporaryDirectory() as tmp:
            f = write(tmp, "appointments.csv", "client_id,start,status\nr-001,2026-03-02T10:00:00Z,attended\n")
            code, report, _ = run_with_report("appointments", f, "--practice", "riverside")
        self.assertEqual(code, 2)
        self.assertEqual(report["problems"][0]["column"], "clinician")
        self.assertIn("required column", report["problems"][0]["reason"])

    def test_the_same_appointment_twice_is_a_problem(self):
        with tempfile.TemporaryDirectory() as tmp:
            f = write(tmp, "appointments.csv", "appointment_id,client_id,clinician,start,status\n"
                      "x1,r-001,alice@example.org,2026-03-02T10:00:00Z,attended\n"
                      "x1,r-001,alice@example.org,2026-03-09T10:00:00Z,attended\n")
            code, report, _ = run_with_report("appointments", f, "--practice", "riverside")
        self.assertEqual(code, 2)
        self.assertEqual(report["problems"][0]["line"], 3)

    def test_a_successful_import_is_audited_with_counts_only(self):
        self.import_example()
        e = AuditEvent.objects.get(verb="import-completed")
        self.assertEqual(e.data["counts"]["appointments"]["created"], 9)
        self.assertNotIn("Maya", str(e.data))
        self.assertIsNone(e.client)


class PresetTestCase(BaseTestCase):
    def test_simplepractice_statuses(self):
        code, _, err = run("appointments", CSV / "simplepractice.csv", "--preset", "simplepractice",
                           "--practice", "riverside")
        self.assertEqual(code, 0, err)
        self.assertEqual(statuses(self.riverside, "sp-1"), ["attended", "late_cancel", "no_show",
                                                            "clinician_cancelled", "cancelled", "attended"])

    def test_therapynotes_statuses_with_and_without_a_fee(self):
        code, _, err = run("appointments", CSV / "therapynotes.csv", "--preset", "therapynotes",
                           "--practice", "riverside")
        self.assertEqual(code, 0, err)
        self.assertEqual(statuses(self.riverside, "tn-7"), ["attended", "no_show", "cancelled", "late_cancel",
                                                            "no_show", "attended"])
        self.assertEqual(Episode.objects.get(client__external_id="tn-7").clinician, self.bob)

    def test_openemr_status_codes(self):
        code, _, err = run("appointments", CSV / "openemr.csv", "--preset", "openemr", "--practice", "riverside")
        self.assertEqual(code, 0, err)
        self.assertEqual(statuses(self.riverside, "pid-31"), ["attended", "attended", "no_show", "late_cancel",
                                                              "cancelled", "attended", "scheduled"])

    def test_without_the_preset_the_vocabulary_is_refused(self):
        code, report, _ = run_with_report("appointments", CSV / "openemr.csv", "--practice", "riverside")
        self.assertEqual(code, 2)
        self.assertIn("mapping file", report["problems"][0]["reason"])

    def test_an_unknown_preset_lists_the_known_ones(self):
        code, _, err = run("appointments", CSV / "openemr.csv", "--preset", "epic", "--practice", "riverside")
        self.assertEqual(code, 1)
        self.assertIn("openemr, simplepractice, therapynotes", err)


class MappingFileTestCase(BaseTestCase):
    def test_a_mapping_file_renames_parses_maps_and_fills_in(self):
        code, report, text = run_with_report("appointments", CSV / "other-ehr.csv", "--mapping",
                                             CSV / "other-ehr.toml", "--practice", "riverside")
        self.assertEqual(code, 0, text)
        appts = list(Appointment.objects.filter(external_id__startswith="V-").order_by("start"))
        self.assertEqual([a.status for a in appts], ["attended", "no_show", "cancelled", "attended"])
        # 16:30 in London in July is 15:30 UTC; dates are day/month/year
        self.assertEqual(appts[0].start, datetime(2026, 7, 14, 15, 30, tzinfo=timezone.utc))
        self.assertEqual(appts[0].booked_at, datetime(2026, 6, 30, 23, tzinfo=timezone.utc))
        self.assertEqual({a.episode.clinician for a in appts}, {self.alice})
        self.assertEqual(Client.objects.get(external_id="P-500").last_name, "Diaz")
        self.assertEqual(report["unknown_columns"], {"other-ehr.csv": ["Notes"]})

    def test_a_broken_mapping_file_is_explained(self):
        with tempfile.TemporaryDirectory() as tmp:
            m = write(tmp, "m.toml", '[appointments.statuses]\n"Kept" = "present"\n')
            code, _, err = run("appointments", CSV / "other-ehr.csv", "--mapping", m, "--practice", "riverside")
        self.assertEqual(code, 1)
        self.assertIn("[appointments.statuses] Kept must map to one of", err)


class PracticeChoiceTestCase(BaseTestCase):
    def test_with_several_practices_it_asks_which(self):
        code, _, err = run("appointments", CSV / "simplepractice.csv", "--preset", "simplepractice")
        self.assertEqual(code, 1)
        self.assertIn("hillside, riverside", err)


class SimulatedPracticeTestCase(BaseTestCase):
    def test_it_imports_a_simulated_practice_and_reimports_it_as_a_no_op(self):
        with tempfile.TemporaryDirectory() as tmp:
            call_command("simulate", clients=60, seed=4, out=Path(tmp), as_of=date(2026, 6, 1), no_csv=False,
                         stdout=open("/dev/null", "w"))
            args = ("appointments", Path(tmp) / "appointments.csv", "--clients", Path(tmp) / "clients.csv",
                    "--measures", Path(tmp) / "measures.csv", "--practice", "hillside")
            code, report, text = run_with_report(*args)
            self.assertEqual(code, 0, text)
            import pandas as pd

            sim = pd.read_csv(Path(tmp) / "appointments.csv")
            self.assertEqual(Appointment.objects.filter(practice=self.hillside).exclude(episode__client=self.cleo)
                             .count(), len(sim))
            self.assertEqual(Client.objects.filter(practice=self.hillside).count(), 61)
            self.assertEqual(Episode.objects.filter(practice=self.hillside).exclude(client=self.cleo).count(),
                             sim.episode_id.nunique())
            self.assertGreater(MeasureResult.objects.filter(practice=self.hillside).count(), 100)
            code, report, _ = run_with_report(*args)
            self.assertEqual(code, 0)
            for table in ("clients", "appointments", "measures"):
                self.assertEqual(report["counts"][table]["created"] + report["counts"][table]["updated"], 0, table)


def test_the_command_exits_2_on_a_bad_file_and_0_on_a_good_one(tmp_path):
    """The real `stillhere` process, on its own SQLite file."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "STILLHERE_DATA_DIR": str(tmp_path)}
    cli = [sys.executable, "-m", "stillhere.cli"]
    subprocess.run(cli + ["migrate", "-v0"], env=env, check=True)
    bad = tmp_path / "appointments.csv"
    bad.write_text("client_id,clinician,start,status\nc1,sam@example.org,2026-13-01T10:00:00Z,attended\n")
    r = subprocess.run(cli + ["import", "appointments", str(bad), "--timezone", "Europe/London"], env=env,
                       capture_output=True, text=True)
    assert r.returncode == 2, r.stderr
    assert "appointments.csv line 2, column start (value hidden, 20 characters): is not a date" in r.stderr
    assert "2026-13-01" not in r.stderr
    import sqlite3

    db = sqlite3.connect(tmp_path / "db.sqlite3")
    assert db.execute("select count(*) from accounts_practice").fetchone() == (0,)
    good = tmp_path / "good.csv"
    good.write_text("client_id,client_name,clinician,start,status\n"
                    "c1,Ida Moss,sam@example.org,2026-03-01T10:00:00Z,attended\n")
    r = subprocess.run(cli + ["import", "appointments", str(good)], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "1 new" in r.stdout and "Created the practice 'My practice'" in r.stdout
    assert subprocess.run(cli + ["import", "--help"], env=env, capture_output=True, text=True).stdout.startswith(
        "usage: stillhere import")


class NamedPracticeTests(django_test.TestCase):
    """--practice-name names the practice to import into: with one other
    practice on the server, its clients must not be filed into that one."""

    def test_a_named_practice_is_made_new_beside_the_only_other_one_and_found_again_after(self):
        from stillhere.accounts.models import Practice

        from .helpers import run, write

        other = Practice.objects.create(name="Generated clinic", slug="generated-clinic", timezone="UTC")
        with tempfile.TemporaryDirectory() as tmp:
            f = write(tmp, "a.csv", "client_id,client_name,clinician,start,status\n"
                                    "c1,Ida Moss,sam@example.org,2026-03-01T10:00:00Z,attended\n")
            for _ in range(2):
                code, out, err = run("appointments", f, "--practice-name", "Riverbend Therapy",
                                     "--timezone", "Europe/London")
                self.assertEqual(code, 0, err)
        named = Practice.objects.get(slug="riverbend-therapy")
        self.assertEqual((named.name, named.timezone), ("Riverbend Therapy", "Europe/London"))
        self.assertEqual(named.clients.count(), 1)
        self.assertEqual(other.clients.count(), 0)
