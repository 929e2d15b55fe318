"""A return after a long silence, in a record without episode ids, through the
real import (`stillhere import`, CSV, FHIR and calendars) and the real scan
(`stillhere scan`): a new episode, linked to the earlier one, which is counted
as ended without goodbye on the day of its last session."""

import json
import random
from datetime import date, datetime, time, timedelta, timezone

from stillhere.analytics.report import practice_report
from stillhere.audit.models import AuditEvent
from stillhere.clients import entry
from stillhere.clients.models import Client, Episode
from stillhere.engagement.models import StateChange
from stillhere.ingest.tests.helpers import run
from stillhere.test import clients_named

from .test_endings_import import HEADER, ImportedEndingsTestCase, weekly

FIRST = date(2026, 1, 5)          # six weekly sessions: the last on Mon 9 Feb 2026
LAST = FIRST + timedelta(weeks=5)


def back_after(days: int, status="attended", start_id=50, extra=""):
    day = LAST + timedelta(days=days)
    return f"tess-{start_id},tess,alice@example.org,{day}T10:00:00+00:00,{status},Tess Tully,session{extra}"


class LongSilenceTests(ImportedEndingsTestCase):
    def import_csv(self, rows, *extra, **kw):
        # A history replayed at chosen dates (`scan --as-of`): not the import's own rescan as of today.
        return super().import_csv(rows, "--no-rescan", *extra, **kw)

    def state_changes(self):
        return list(StateChange.objects.filter(episode__client__external_id="tess")
                    .values_list("episode_id", "new_state", "reason", "detail", "at", "source"))

    def test_a_return_after_130_days_is_a_new_episode_and_the_first_counts_as_ended_without_goodbye(self):
        rows = weekly("tess", FIRST, 6) + [back_after(130, status="scheduled")]   # booked for Mon 19 Jun
        out = self.import_csv(rows)
        self.assertIn("1 return after a long silence", out)
        old, new = self.episodes()
        self.assertEqual((old.state, old.ended, old.end_reason), ("ended_no_goodbye", LAST, "no_goodbye"))
        self.assertEqual((new.previous_id, new.state, new.started), (old.pk, "returned", LAST + timedelta(130)))
        self.assertEqual(old.appointments.count(), 6)
        self.assertEqual(list(new.appointments.values_list("external_id", flat=True)), ["tess-50"])
        ((ep, state, reason, detail, at, source),) = self.state_changes()
        self.assertEqual((ep, state, reason, source), (old.pk, "ended_no_goodbye", "long_silence", "import"))
        self.assertEqual(detail, "No session for 4 months after 9 Feb 2026; inferred from the record "
                                 "(a new episode began on 19 Jun 2026)")
        self.assertEqual(at, datetime(2026, 2, 9, 10, 50, tzinfo=timezone.utc))   # the end of the last session

        # The scan leaves the inferred ending as it is, and the return waits for its first session.
        rows_json = self.scan("2026-06-19T09:00:00+00:00")   # the morning of the return
        old.refresh_from_db()
        new.refresh_from_db()
        self.assertEqual((old.state, old.ended), ("ended_no_goodbye", LAST))
        self.assertEqual(new.state, "returned")
        self.assertEqual([r["state"] for r in rows_json if r["client_id"] == "tess"], ["returned"])

        # The practice figures count the first ending as a dropout, on its day.
        report = practice_report(self.riverside, date(2026, 1, 1), date(2026, 3, 31),
                                 datetime(2026, 6, 10, tzinfo=timezone.utc))
        self.assertEqual((report.dropout.events, report.dropout.total), (1, 1))
        self.assertEqual(report.ended_by_reason, {"no_goodbye": 1})
        self.login(self.dora)
        r = self.client.get("/practice/", {"from": "2026-01-01", "to": "2026-03-31"})
        self.assertEqual((r.context["r"].dropout.events, r.context["r"].dropout.total), (1, 1))
        self.assertContains(r, "ended without goodbye (1)")

    def test_a_final_session_before_the_silence_was_a_planned_ending(self):
        self.import_csv(weekly("tess", FIRST, 6, last_type="final") + [back_after(200)])
        old, new = self.episodes()
        self.assertEqual((old.state, old.ended, old.end_reason), ("ended_planned", LAST, "planned"))
        self.assertEqual((new.previous_id, new.state), (old.pk, "returned"))
        self.assertEqual([c[3] for c in self.state_changes()], ["Final session on 9 Feb 2026: ended as planned"])
        report = practice_report(self.riverside, date(2026, 1, 1), date(2026, 3, 31),
                                 datetime(2026, 9, 1, tzinfo=timezone.utc))
        self.assertEqual((report.dropout.events, report.dropout.total), (0, 1))

    def test_after_100_days_it_is_the_same_episode(self):
        self.import_csv(weekly("tess", FIRST, 6) + [back_after(100)])
        (ep,) = self.episodes()
        self.assertEqual((ep.ended, ep.appointments.count()), (None, 7))
        self.assertEqual(self.state_changes(), [])

    def test_reimporting_the_same_file_changes_nothing(self):
        rows = weekly("tess", FIRST, 6) + [back_after(130), back_after(137, start_id=51)]
        self.import_csv(rows)
        self.scan("2026-07-01")
        before = [(e.pk, e.state, e.ended, e.end_reason, e.previous_id) for e in self.episodes()]
        changes = self.state_changes()
        out = self.import_csv(rows)
        self.assertIn("8 unchanged", out)
        self.assertNotIn("long silence", out)
        self.scan("2026-07-01")
        self.assertEqual([(e.pk, e.state, e.ended, e.end_reason, e.previous_id) for e in self.episodes()], before)
        self.assertEqual(self.state_changes(), changes)
        self.assertEqual(Episode.objects.filter(client__external_id="tess").count(), 2)

    def test_the_order_of_the_rows_does_not_matter(self):
        rows = weekly("tess", FIRST, 6) + [back_after(130)]
        random.Random(4).shuffle(rows)
        self.import_csv(rows)
        old, new = self.episodes()
        self.assertEqual((old.ended, new.previous_id, new.started), (LAST, old.pk, LAST + timedelta(130)))

    def test_the_same_rows_imported_in_two_files_give_the_same_episodes(self):
        self.import_csv(weekly("tess", FIRST, 6))
        self.scan("2026-05-01")   # lapsed by now, perhaps reached out to: still one open episode
        self.import_csv(weekly("tess", FIRST, 6) + [back_after(130)])
        old, new = self.episodes()
        self.assertEqual((old.state, old.ended, new.previous_id, new.state),
                         ("ended_no_goodbye", LAST, old.pk, "returned"))

    def test_two_silences_make_three_linked_episodes(self):
        rows = weekly("tess", FIRST, 6) + [back_after(130)]
        rows += [back_after(130 + 200, start_id=60)]
        self.import_csv(rows)
        a, b, c = self.episodes()
        self.assertEqual((b.previous_id, c.previous_id), (a.pk, b.pk))
        self.assertEqual((a.ended, b.ended, c.ended), (LAST, LAST + timedelta(130), None))
        self.assertEqual([e.end_reason for e in (a, b)], ["no_goodbye", "no_goodbye"])

    def test_an_explicit_episode_id_always_wins(self):
        header = HEADER.strip() + ",episode_id\n"
        rows = [r + ",ep-7" for r in weekly("tess", FIRST, 6) + [back_after(200)]]
        out = self.import_csv(rows, header=header)
        (ep,) = self.episodes()
        self.assertEqual((ep.external_id, ep.ended, ep.appointments.count()), ("ep-7", None, 7))
        self.assertNotIn("long silence", out)
        self.assertEqual(self.state_changes(), [])

    def test_a_booking_in_the_gap_means_there_was_no_silence(self):
        for status in ("cancelled", "late_cancel", "scheduled"):
            with self.subTest(status=status):
                Episode.objects.filter(client__external_id="tess").delete()
                self.import_csv(weekly("tess", FIRST, 6) + [back_after(70, status=status, start_id=40),
                                                           back_after(130)])
                (ep,) = self.episodes()
                self.assertEqual((ep.ended, ep.appointments.count()), (None, 8))

    def test_a_missed_session_after_the_last_one_is_part_of_the_silence(self):
        """The usual way of leaving without goodbye: the next week's session
        missed, then nothing; the ending is the last session attended."""
        self.import_csv(weekly("tess", FIRST, 6) + [back_after(7, status="no_show", start_id=40),
                                                   back_after(130)])
        old, new = self.episodes()
        self.assertEqual((old.ended, old.end_reason, old.appointments.count()), (LAST, "no_goodbye", 7))
        self.assertEqual((new.previous_id, new.started), (old.pk, LAST + timedelta(130)))
        self.assertIn("No session for 4 months after 9 Feb 2026", self.state_changes()[-1][3])

    def test_a_session_booked_before_the_silence_grew_long_is_a_planned_pause(self):
        header = HEADER.strip() + ",booked_at\n"
        rows = [r + "," for r in weekly("tess", FIRST, 6)]
        rows.append(back_after(150, extra=f",{LAST}T10:45:00+00:00"))   # booked at the last session
        self.import_csv(rows, header=header)
        self.assertEqual(len(self.episodes()), 1)
        Episode.objects.filter(client__external_id="tess").delete()
        rows[-1] = back_after(150, extra=f",{LAST + timedelta(140)}T09:00:00+00:00")   # booked after the silence
        self.import_csv(rows, header=header)
        self.assertEqual(len(self.episodes()), 2)
        # A session booked during the gap is word from the client, even if they then missed it.
        Episode.objects.filter(client__external_id="tess").delete()
        rows.insert(-1, back_after(70, status="no_show", start_id=40, extra=f",{LAST + timedelta(60)}T09:00:00+00:00"))
        self.import_csv(rows, header=header)
        self.assertEqual(len(self.episodes()), 1)

    def test_the_practice_setting_decides_how_long_a_silence_is(self):
        rows = weekly("tess", FIRST, 6) + [back_after(100)]
        self.import_csv(rows)
        self.assertEqual(len(self.episodes()), 1)

        self.login(self.dora)
        page = self.client.get("/settings/engagement/")
        self.assertContains(page, "A new episode after a silence of (days)")
        self.assertContains(page, "counted as ended without goodbye on the day of that last session")
        form = {"waiting_days": "3", "lapse_factor": "2", "outcome_days": "7"}
        r = self.client.post("/settings/engagement/", {**form, "long_silence_days": "20"})
        self.assertContains(r, "Ensure this value is greater than or equal to 30.")
        self.riverside.refresh_from_db()
        self.assertEqual(self.riverside.long_silence_days, 120)
        self.client.post("/settings/engagement/", {**form, "long_silence_days": "60"})
        self.riverside.refresh_from_db()
        self.assertEqual(self.riverside.long_silence_days, 60)
        audit = AuditEvent.objects.filter(verb="settings-changed").latest("id")
        self.assertEqual(audit.data, {"section": "engagement", "changes": {"long_silence_days": [120, 60]}})

        # The next import of the same file reads the history with the new gap.
        self.import_csv(rows)
        old, new = self.episodes()
        self.assertEqual((old.ended, old.end_reason, new.previous_id, new.state),
                         (LAST, "no_goodbye", old.pk, "returned"))
        self.assertIn("No session for 3 months after 9 Feb 2026", self.state_changes()[0][3])

    def test_a_session_booked_by_hand_after_the_silence_is_a_return_too(self):
        self.import_csv(weekly("tess", FIRST, 6))
        now = datetime.combine(LAST + timedelta(145), time(9), timezone.utc)
        entry.book(self.alice, Client.objects.get(external_id="tess"), now + timedelta(days=5), now=now)
        old, new = self.episodes()
        self.assertEqual((old.state, old.ended, new.previous_id, new.state),
                         ("ended_no_goodbye", LAST, old.pk, "returned"))

    def test_a_fhir_bundle_without_episodes_of_care(self):
        days = [FIRST + timedelta(weeks=i) for i in range(4)] + [FIRST + timedelta(weeks=3, days=140)]
        bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
            {"resource": {"resourceType": "Patient", "id": "p1", "name": [{"family": "Tully", "given": ["Tess"]}]}},
            {"resource": {"resourceType": "Practitioner", "id": "dr",
                          "telecom": [{"system": "email", "value": "alice@example.org"}]}},
            *[{"resource": {"resourceType": "Encounter", "id": f"e{i}", "status": "finished",
                            "class": {"code": "AMB"}, "subject": {"reference": "Patient/p1"},
                            "participant": [{"individual": {"reference": "Practitioner/dr"}}],
                            "period": {"start": f"{d}T10:00:00+00:00"}}} for i, d in enumerate(days)],
        ]}
        code, out, err = run("fhir", self.file("b.json", json.dumps(bundle)), "--practice", "riverside")
        self.assertEqual(code, 0, out + err)
        old, new = self.episodes("Patient/p1")
        self.assertEqual((old.state, old.ended, new.previous_id, new.started),
                         ("ended_no_goodbye", days[3], old.pk, days[4]))

    def test_a_calendar(self):
        days = [FIRST + timedelta(weeks=i) for i in range(4)] + [FIRST + timedelta(weeks=3, days=140)]
        events = "".join(
            f"BEGIN:VEVENT\r\nUID:s{i}@cal\r\nDTSTART:{d:%Y%m%d}T100000Z\r\nDTEND:{d:%Y%m%d}T105000Z\r\n"
            f"SUMMARY:Session with Tess Tully\r\nEND:VEVENT\r\n" for i, d in enumerate(days))
        cal = self.file("c.ics", f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n{events}END:VCALENDAR\r\n")
        args = ("ics", cal, "--clinician", "alice@example.org", "--client-from", "summary", "--practice", "riverside")
        code, out, err = run(*args)
        self.assertEqual(code, 0, out + err)
        eps = list(Episode.objects.filter(client__in=clients_named("Tess")).order_by("started"))
        self.assertEqual([(e.started, e.ended, e.end_reason) for e in eps],
                         [(days[0], days[3], "no_goodbye"), (days[4], None, "")])
        self.assertEqual(eps[1].previous_id, eps[0].pk)
        run(*args)   # the same calendar again
        self.assertEqual(Episode.objects.filter(client__in=clients_named("Tess")).count(), 2)
