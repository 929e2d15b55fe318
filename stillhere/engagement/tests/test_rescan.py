"""Scans follow the facts (issue 14): an import, a page's change or the API's
rescans the episodes it touched at once, through the real import and the real
scan, with nobody running `stillhere scan`; and a logged contact counts as
word from the client in the scan's own rules."""

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from stillhere.clients import entry
from stillhere.clients.models import Appointment, Client, Episode
from stillhere.engagement.inbox import SAFETY, needs_attention
from stillhere.engagement.models import ScanStatus, ScanTarget, StateChange
from stillhere.engagement.rescan import rescan_episodes
from stillhere.ingest.tests.helpers import ImportFiles, PrivateDataDir, run
from stillhere.outreach import actions
from stillhere.test import BaseTestCase

CLIENTS = "client_id,first_name,last_name,email,consent_email,safety_concern\n"
APPTS = "appointment_id,client_id,clinician,start,status,client_name\n"


def weekly(client: str, n: int, *, missed_days_ago: int = 0, start_id: int = 1) -> list[str]:
    """n weekly sessions attended, the last a week before the miss `missed_days_ago` days ago."""
    now = timezone.now().replace(microsecond=0)
    miss = now - timedelta(days=missed_days_ago)
    rows = []
    for i in range(n):
        day = miss - timedelta(weeks=n - i)
        rows.append(f"{client}-{start_id + i},{client},alice@example.org,{day.isoformat()},attended,{client.title()} Example")
    if missed_days_ago:
        rows.append(f"{client}-{start_id + n},{client},alice@example.org,{miss.isoformat()},no_show,"
                    f"{client.title()} Example")
    return rows


class RescanTestCase(ImportFiles, BaseTestCase):
    def import_csv(self, appts, clients=None):
        args = ["appointments", self.file("appointments.csv", APPTS + "\n".join(appts) + "\n"),
                "--practice", "riverside"]
        if clients:
            args += ["--clients", self.file("clients.csv", CLIENTS + "\n".join(clients) + "\n")]
        code, out, err = run(*args)
        self.assertEqual(code, 0, out + err)
        return out

    def episode(self, ext) -> Episode:
        return Episode.objects.get(client__external_id=ext, ended__isnull=True)

    def safety_items(self, member):
        return [i for i in needs_attention(member, timezone.now()) if i.group == SAFETY]


class ImportRescansTests(RescanTestCase):
    def test_a_safety_concern_imported_is_the_clinicians_safety_item_at_once(self):
        self.import_csv(weekly("tess", 4, missed_days_ago=1), ["tess,Tess,Tully,tess@example.org,yes,yes"])
        e = self.episode("tess")
        self.assertEqual(e.state, "missed")
        change = e.state_changes.order_by("-id").first()
        self.assertTrue(change.safety_check)
        items = self.safety_items(self.alice)
        self.assertEqual([i.client.external_id for i in items], ["tess"])
        self.assertIn("check on their safety today", items[0].reason)
        self.assertFalse(ScanTarget.objects.exists())   # the rescan's list is gone with its transaction

    def test_a_safety_concern_noted_after_the_miss_turns_the_missed_session_into_a_safety_check(self):
        self.import_csv(weekly("tess", 4, missed_days_ago=1), ["tess,Tess,Tully,tess@example.org,yes,no"])
        e = self.episode("tess")
        self.assertEqual(e.state, "missed")
        self.assertEqual(self.safety_items(self.alice), [])
        # 10:00: the EHR's export now says there is a safety concern.
        self.import_csv(weekly("tess", 4, missed_days_ago=1), ["tess,Tess,Tully,tess@example.org,yes,yes"])
        self.assertEqual([i.client.external_id for i in self.safety_items(self.alice)], ["tess"])
        e.refresh_from_db()
        self.assertEqual((e.state, e.state_changes.order_by("-id").first().safety_check), ("missed", True))
        # The next scan, and the same file again, change nothing more.
        n = StateChange.objects.filter(episode=e).count()
        call_command("scan", "--practice", "riverside", stdout=open("/dev/null", "w"))
        self.import_csv(weekly("tess", 4, missed_days_ago=1), ["tess,Tess,Tully,tess@example.org,yes,yes"])
        self.assertEqual(StateChange.objects.filter(episode=e).count(), n)

    def test_the_rescan_reaches_only_the_clients_the_import_touched(self):
        self.import_csv(weekly("tess", 4) + weekly("otto", 4, start_id=20))
        otto = self.episode("otto")
        self.assertEqual(otto.state, "active")
        # A fact about Otto changes behind the scan's back (no page, no import).
        last = Appointment.objects.filter(episode=otto).order_by("-start").first()
        Appointment.objects.filter(pk=last.pk).update(start=timezone.now() - timedelta(days=2), status="no_show")
        self.import_csv(weekly("tess", 4, missed_days_ago=2))
        self.assertEqual(self.episode("tess").state, "missed")
        otto.refresh_from_db()
        self.assertEqual(otto.state, "active")          # not rescanned: the import did not touch Otto
        call_command("scan", "--practice", "riverside", stdout=open("/dev/null", "w"))
        otto.refresh_from_db()
        self.assertEqual(otto.state, "missed")          # the morning run still scans everyone

    def test_a_rescan_of_one_episode_gives_what_the_whole_scan_gives(self):
        self.import_csv(weekly("tess", 4, missed_days_ago=3) + weekly("otto", 6, start_id=20))
        ids = [self.episode("tess").pk]
        out = rescan_episodes(self.riverside, ids, why="test")
        self.assertEqual([r["client_id"] for r in out.episodes], ["tess"])
        whole = io_scan()
        mine = [r for r in whole if r["client_id"] == "tess"]
        self.assertEqual([(r["state"], r["risk"], r["reasons"]) for r in mine],
                         [(r["state"], r["risk"], r["reasons"]) for r in out.episodes])

    def test_the_inbox_says_when_it_was_last_checked(self):
        self.login(self.alice)
        page = self.client.get("/").content.decode()
        self.assertIn("Not checked yet", page)
        call_command("scan", "--practice", "riverside", stdout=open("/dev/null", "w"))
        st = ScanStatus.objects.get(practice=self.riverside)
        local = timezone.localtime(st.full_at, self.riverside.tz)
        self.assertIn(f"Last checked {local:%H:%M}, the whole practice.", self.client.get("/").content.decode())
        self.import_csv(weekly("tess", 4, missed_days_ago=1))
        st.refresh_from_db()
        again = timezone.localtime(st.rescan_at, self.riverside.tz)
        self.assertIn(f"Last checked {again:%H:%M}, after an import; the whole practice {local:%H:%M}.",
                      self.client.get("/").content.decode())


def io_scan() -> list[dict]:
    import io
    import json

    out = io.StringIO()
    call_command("scan", "--practice", "riverside", "--dry-run", "--json", stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines() if line.startswith("{")]


class PageChangesRescanTests(RescanTestCase):
    def test_an_outcome_recorded_on_the_page_rescans_that_client_only(self):
        self.import_csv(weekly("tess", 4) + weekly("otto", 4, start_id=20))
        otto = self.episode("otto")
        last = Appointment.objects.filter(episode=otto).order_by("-start").first()
        Appointment.objects.filter(pk=last.pk).update(start=timezone.now() - timedelta(days=2), status="no_show")
        tess = Client.objects.get(external_id="tess")
        appt = entry.book(self.alice, tess, timezone.now() - timedelta(days=1, hours=2))
        entry.record_outcome(self.alice, appt, "no_show")
        self.assertEqual(self.episode("tess").state, "missed")
        otto.refresh_from_db()
        self.assertEqual(otto.state, "active")
        self.assertEqual(ScanStatus.objects.get(practice=self.riverside).rescan_why,
                         "after a session's outcome was recorded")

    def test_a_safety_concern_ticked_on_the_client_page_is_a_safety_item_at_once(self):
        self.import_csv(weekly("tess", 4, missed_days_ago=1), ["tess,Tess,Tully,tess@example.org,yes,no"])
        tess = Client.objects.get(external_id="tess")
        entry.save_client(self.alice, {"safety_concern": True}, client=tess)
        self.assertEqual([i.client.external_id for i in self.safety_items(self.alice)], ["tess"])

    def test_an_ending_recorded_rescans_and_leaves_it_ended(self):
        from stillhere.clients.endings import end_episode

        self.import_csv(weekly("tess", 4, missed_days_ago=1))
        e = self.episode("tess")
        end_episode(self.alice, e, "by_client", timezone.localdate(timezone.now(), self.riverside.tz))
        e.refresh_from_db()
        self.assertEqual(e.state, "ended_by_client")
        self.assertEqual(ScanStatus.objects.get(practice=self.riverside).rescan_why, "after an ending was recorded")


class WordFromTheClientTests(RescanTestCase):
    """After a missed session, a logged contact is word from the client for
    the scan too: "no word since" does not come back with the next scan."""

    def setUp(self):
        super().setUp()
        self.import_csv(weekly("tess", 4, missed_days_ago=3), ["tess,Tess,Tully,tess@example.org,yes,no"])
        self.tess = Client.objects.get(external_id="tess")
        self.e = self.episode("tess")
        self.assertEqual(self.e.state, "missed")

    def reasons(self):
        return [i.reason for i in needs_attention(self.alice, timezone.now()) if i.episode.pk == self.e.pk]

    def scan(self):
        call_command("scan", "--practice", "riverside", stdout=open("/dev/null", "w"))
        self.e.refresh_from_db()

    def test_a_reply_is_word_and_the_next_scan_keeps_it(self):
        actions.log_reply(self.tess, "email", timezone.now() - timedelta(hours=1), text="Sorry, I was ill")
        self.scan()
        self.assertEqual(self.e.state, "re_engaged")
        self.assertFalse(any("no word since" in r for r in self.reasons()))
        self.scan()
        self.assertEqual(self.e.state, "re_engaged")
        self.assertFalse(any("no word since" in r for r in self.reasons()))

    def test_a_call_logged_as_spoke_is_word(self):
        from stillhere.outreach.models import OutreachStep, Sequence

        seq = Sequence.objects.create(practice=self.riverside, client=self.tess, episode=self.e,
                                      kind=Sequence.Kind.CADENCE, anchor=timezone.now(), started=timezone.now())
        step = OutreachStep.objects.create(sequence=seq, practice=self.riverside, client=self.tess,
                                           episode=self.e, position=0, key="call", template="call", channel="call",
                                           due=timezone.now(), status=OutreachStep.Status.TO_CALL)
        actions.log_call(self.alice, step, "spoke", timezone.now() - timedelta(minutes=5))
        self.e.refresh_from_db()
        self.assertEqual(self.e.state, "re_engaged")
        for _ in range(2):
            self.scan()
            self.assertEqual(self.e.state, "re_engaged")
            self.assertFalse(any("no word since" in r for r in self.reasons()))

    def test_word_from_before_the_miss_is_not_word_since(self):
        from stillhere.outreach.models import Reply

        Reply.objects.create(practice=self.riverside, client=self.tess, episode=self.e, source="email",
                             received=timezone.now() - timedelta(days=5))
        self.scan()
        self.assertEqual(self.e.state, "missed")
        self.assertTrue(any("no word since" in r for r in self.reasons()))


@override_settings(INGEST_INLINE=True)
class ApiImportRescanTests(PrivateDataDir, RescanTestCase):
    """POST /api/v1/imports: the same import run, and the same rescan at its end."""

    def test_a_safety_concern_posted_through_the_api_is_the_safety_item_at_once(self):
        from stillhere.api.models import ApiToken

        _, secret = ApiToken.issue(self.dora, "EHR sync")
        appts = (APPTS + "\n".join(weekly("tess", 4, missed_days_ago=1)) + "\n").encode()
        clients = (CLIENTS + "tess,Tess,Tully,tess@example.org,yes,yes\n").encode()
        with self.captureOnCommitCallbacks(execute=True):
            r = self.client.post("/api/v1/imports", {
                "appointments": SimpleUploadedFile("appointments.csv", appts, content_type="text/csv"),
                "clients": SimpleUploadedFile("clients.csv", clients, content_type="text/csv")},
                HTTP_AUTHORIZATION=f"Bearer {secret}")
        self.assertEqual(r.status_code, 202, r.content)
        self.assertEqual([i.client.external_id for i in self.safety_items(self.alice)], ["tess"])
        self.assertEqual(ScanStatus.objects.get(practice=self.riverside).rescan_why, "after an import")

    def test_an_outcome_recorded_through_the_api_rescans_at_once(self):
        import json

        from stillhere.api.models import ApiToken

        self.import_csv(weekly("tess", 4))
        e = self.episode("tess")
        a = Appointment.objects.create(practice=self.riverside, episode=e, external_id="t-late",
                                       start=timezone.now() - timedelta(hours=3), status="scheduled",
                                       booked_at=timezone.now() - timedelta(days=6))
        _, secret = ApiToken.issue(self.alice, "scheduler")
        r = self.client.patch(f"/api/v1/appointments/{a.pk}", json.dumps({"status": "no_show"}),
                              content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}")
        self.assertEqual(r.status_code, 200, r.content)
        e.refresh_from_db()
        self.assertEqual(e.state, "missed")
