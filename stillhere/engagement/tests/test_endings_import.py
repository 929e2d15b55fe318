"""Final sessions and unrecorded outcomes as exports and calendars say them,
through the real import (`stillhere import`) and the real scan (`stillhere scan`)."""

import io
import json
from datetime import date, datetime, timedelta, timezone

from django.core.management import call_command

from stillhere.clients import entry
from stillhere.clients.models import Appointment, Client, Episode
from stillhere.engagement.inbox import needs_attention
from stillhere.ingest.tests.helpers import ImportFiles, run
from stillhere.test import BaseTestCase, clients_named

HEADER = "appointment_id,client_id,clinician,start,status,client_name,session_type\n"


def weekly(client, first: date, n: int, last_type="session", status="attended", start_id=1):
    rows = []
    for i in range(n):
        day = first + timedelta(weeks=i)
        kind = last_type if i == n - 1 else ("intake" if i == 0 else "session")
        rows.append(f"{client}-{start_id + i},{client},alice@example.org,{day}T10:00:00+00:00,{status},"
                    f"Tess Tully,{kind}")
    return rows


class ImportedEndingsTestCase(ImportFiles, BaseTestCase):
    def import_csv(self, rows, *extra, header=HEADER):
        code, out, err = run("appointments", self.file("appointments.csv", header + "\n".join(rows) + "\n"),
                             "--practice", "riverside", *extra)
        self.assertEqual(code, 0, out + err)
        return out

    def scan(self, as_of: str) -> list[dict]:
        out = io.StringIO()
        call_command("scan", "--practice", "riverside", "--as-of", as_of, "--json", stdout=out)
        return [json.loads(line) for line in out.getvalue().splitlines() if line.startswith("{")]

    def episodes(self, ext="tess"):
        return list(Episode.objects.filter(client__external_id=ext).order_by("started"))


class FinalSessionImportTests(ImportedEndingsTestCase):
    def test_a_final_session_in_the_generic_csv_ends_the_episode_as_planned(self):
        self.import_csv(weekly("tess", date(2026, 3, 2), 6, last_type="Final session"))
        self.assertEqual(Appointment.objects.filter(session_type="final").count(), 1)
        rows = self.scan("2026-04-20")
        (ep,) = self.episodes()
        self.assertEqual((ep.state, ep.ended, ep.end_reason), ("ended_planned", date(2026, 4, 6), "planned"))
        self.assertEqual([r["state"] for r in rows if r["client_id"] == "tess"], ["ended_planned"])

    def test_a_preset_maps_its_own_words_for_a_final_session(self):
        header = "Client ID,Client Name,Clinician,Start,Status,Service Type\n"
        rows = [f"tess,Tess Tully,alice@example.org,2026-03-{d:02d} 10:00,Show,Progress Note" for d in (2, 9, 16)]
        rows.append("tess,Tess Tully,alice@example.org,2026-03-23 10:00,Show,Termination Note")
        mapping = self.file("tn.toml", 'extends = "therapynotes"\n[appointments.columns]\n'
                                       'client_id = "Client ID"\nclient_name = "Client Name"\n'
                                       'session_type = "Service Type"\n')
        self.import_csv(rows, "--mapping", mapping, header=header)
        self.assertEqual(list(Appointment.objects.order_by("start").filter(episode__client__external_id="tess")
                              .values_list("session_type", flat=True)), ["session"] * 3 + ["final"])
        self.scan("2026-05-01")
        self.assertEqual(self.episodes()[0].state, "ended_planned")

    def test_an_unknown_session_type_is_refused_with_the_way_to_map_it(self):
        code, out, err = run("appointments", self.file("a.csv", HEADER + "x-1,tess,alice@example.org,"
                                                        "2026-03-02T10:00:00+00:00,attended,Tess Tully,wrap-up\n"),
                             "--practice", "riverside")
        self.assertNotEqual(code, 0)
        self.assertIn("[appointments.session_types]", out + err)

    def test_coming_back_after_a_planned_ending_starts_a_new_linked_episode(self):
        rows = weekly("tess", date(2026, 3, 2), 6, last_type="final")
        self.import_csv(rows)
        self.scan("2026-04-20")
        # Booked for next week: the import's own rescan (as of now) finds a return still to come.
        soon = datetime.now(timezone.utc).date() + timedelta(days=7)
        later = weekly("tess", soon, 1, start_id=50, status="scheduled")
        self.import_csv(rows + later)
        old, new = self.episodes()
        self.assertEqual((old.state, old.ended), ("ended_planned", date(2026, 4, 6)))
        self.assertEqual((new.previous_id, new.state, new.started), (old.pk, "returned", soon))
        self.scan("2026-09-01")
        old.refresh_from_db()
        self.assertEqual((old.state, old.end_reason), ("ended_planned", "planned"))
        # The same file again changes nothing.
        out = self.import_csv(rows + later)
        self.assertEqual(len(self.episodes()), 2)
        self.assertIn("7 unchanged", out)

    def test_with_an_explicit_episode_id_a_return_after_the_final_session_continues_that_episode(self):
        header = "appointment_id,client_id,clinician,start,status,client_name,session_type,episode_id\n"
        rows = [r + ",ep-7" for r in weekly("tess", date(2026, 3, 2), 6, last_type="final")]
        self.import_csv(rows, header=header)
        self.scan("2026-04-08")
        (ep,) = self.episodes()
        self.assertEqual((ep.state, ep.ended), ("ended_planned", date(2026, 4, 6)))
        later = [r + ",ep-7" for r in weekly("tess", date(2026, 4, 20), 1, start_id=50)]
        self.import_csv(rows + later, header=header)
        self.scan("2026-04-21")
        (ep,) = self.episodes()
        self.assertEqual((ep.state, ep.ended, ep.end_reason), ("re_engaged", None, ""))

    def test_a_session_after_the_final_one_in_the_same_file_keeps_the_episode_open(self):
        rows = weekly("tess", date(2026, 3, 2), 6, last_type="final")
        rows += weekly("tess", date(2026, 4, 13), 1, start_id=50)   # the client came back the next week
        self.import_csv(rows)
        self.scan("2026-04-15")
        (ep,) = self.episodes()
        self.assertEqual((ep.state, ep.ended), ("active", None))

    def test_a_fhir_encounter_typed_as_a_final_session(self):
        bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
            {"resource": {"resourceType": "Patient", "id": "p1", "name": [{"family": "Tully", "given": ["Tess"]}]}},
            {"resource": {"resourceType": "Practitioner", "id": "dr",
                          "telecom": [{"system": "email", "value": "alice@example.org"}]}},
            *[{"resource": {"resourceType": "Encounter", "id": f"e{i}", "status": "finished",
                            "class": {"code": "AMB"}, "subject": {"reference": "Patient/p1"},
                            "participant": [{"individual": {"reference": "Practitioner/dr"}}],
                            **({"type": [{"text": "Final session"}]} if i == 3 else {}),
                            "period": {"start": f"2026-03-{2 + 7 * i:02d}T10:00:00+00:00"}}} for i in range(4)],
            {"resource": {"resourceType": "Appointment", "id": "ap9", "status": "fulfilled",
                          "start": "2026-03-05T10:00:00+00:00",
                          "appointmentType": {"coding": [{"code": "FOLLOWUP", "display": "A follow up visit"}]},
                          "participant": [{"actor": {"reference": "Patient/p1"}, "status": "accepted"},
                                          {"actor": {"reference": "Practitioner/dr"}, "status": "accepted"}]}},
        ]}
        code, out, err = run("fhir", self.file("b.json", json.dumps(bundle)), "--practice", "riverside")
        self.assertEqual(code, 0, out + err)
        types = dict(Appointment.objects.values_list("external_id", "session_type"))
        self.assertEqual((types["Encounter/e3"], types["Encounter/e0"], types["Appointment/ap9"]),
                         ("final", "session", "session"))
        self.scan("2026-04-01")
        ep = Episode.objects.get(client__external_id="Patient/p1")
        self.assertEqual((ep.state, ep.ended), ("ended_planned", date(2026, 3, 23)))

    def test_a_calendar_event_titled_final_session(self):
        events = "".join(
            f"BEGIN:VEVENT\r\nUID:s{i}@cal\r\nDTSTART:202603{2 + 7 * i:02d}T100000Z\r\nDTEND:202603{2 + 7 * i:02d}T105000Z\r\n"
            f"SUMMARY:{'Final session with' if i == 3 else 'Session with'} Tess Tully\r\nEND:VEVENT\r\n"
            for i in range(4))
        cal = self.file("c.ics", f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n{events}END:VCALENDAR\r\n")
        code, out, err = run("ics", cal, "--clinician", "alice@example.org", "--client-from", "summary",
                             "--practice", "riverside")
        self.assertEqual(code, 0, out + err)
        self.assertEqual(len(clients_named("Tess", "Tully")), 1)
        self.assertEqual(Appointment.objects.filter(session_type="final").count(), 1)
        self.scan("2026-04-01")
        ep = Episode.objects.get(client__in=clients_named("Tess"))
        self.assertEqual((ep.state, ep.ended), ("ended_planned", date(2026, 3, 23)))


class UnrecordedOutcomeImportTests(ImportedEndingsTestCase):
    def test_a_lagging_export_asks_the_clinician_and_is_not_a_miss(self):
        rows = weekly("tess", date(2026, 3, 2), 6)
        rows += weekly("tess", date(2026, 4, 27), 1, start_id=50, status="scheduled")   # 3 weeks on, not recorded
        self.import_csv(rows)
        rows_json = self.scan("2026-04-29T12:00:00+00:00")
        (ep,) = self.episodes()
        self.assertEqual(ep.state, "active")
        self.assertEqual([r["upcoming"] for r in rows_json if r["client_id"] == "tess"], [[]])
        now = datetime(2026, 4, 29, 12, tzinfo=timezone.utc)
        items = [i for i in needs_attention(self.alice, now) if i.episode.pk == ep.pk]
        self.assertEqual([i.title for i in items], ["Record what happened"])
        slot = Appointment.objects.get(external_id="tess-50")
        self.assertEqual(items[0].url, f"/clients/{ep.client.code}/sessions/{slot.pk}/")
        self.assertIn("The session on Mon 27 Apr at 11:00 has no outcome yet", items[0].reason)
        self.assertEqual([i.title for i in needs_attention(self.bob, now) if i.episode.pk == ep.pk], [])

    def test_once_recorded_the_question_goes_and_the_answer_counts(self):
        rows = weekly("tess", date(2026, 3, 2), 6)
        rows += weekly("tess", date(2026, 4, 27), 1, start_id=50, status="scheduled")
        self.import_csv(rows)
        now = datetime(2026, 4, 29, 12, tzinfo=timezone.utc)
        self.scan("2026-04-29T12:00:00+00:00")
        slot = Appointment.objects.get(external_id="tess-50")
        entry.record_outcome(self.alice, slot, "no_show", now=now)
        (ep,) = self.episodes()
        self.assertEqual(ep.state, "missed")
        titles = [i.title for i in needs_attention(self.alice, now) if i.episode.pk == ep.pk]
        self.assertNotIn("Record what happened", titles)

    def test_after_the_practices_days_it_counts_as_usual(self):
        rows = weekly("tess", date(2026, 3, 2), 6)
        rows += weekly("tess", date(2026, 4, 27), 1, start_id=50, status="scheduled")
        self.import_csv(rows)
        self.scan("2026-05-05T12:00:00+00:00")
        self.assertEqual(self.episodes()[0].state, "lapsed")
        now = datetime(2026, 5, 5, 12, tzinfo=timezone.utc)
        self.assertEqual([i.title for i in needs_attention(self.alice, now) if i.title == "Record what happened"],
                         [])
