"""The scan stores in bulk and only what changed (issue 18): a second scan of
the same facts writes nothing; a risk that moves writes one history row; old
history is purged by the worker's housekeeping but each score now is kept;
and the states, risks and reasons are exactly those the row-by-row scan
(change_state one episode at a time, every score stored) gives on the same
simulated practice, scan after scan."""

from datetime import date, datetime, time, timedelta
from datetime import timezone as dt_timezone

from django.test import TestCase

from stillhere.accounts.models import Practice
from stillhere.clients.bulk import load_practice
from stillhere.clients.models import Appointment, Episode
from stillhere.engagement.models import StateChange
from stillhere.engagement.reconcile import decide
from stillhere.engagement.scan import scan_practice, scored_frame
from stillhere.engagement.transitions import ENDED, change_state
from stillhere.measures.bulk import load_measures
from stillhere.risk import default_model
from stillhere.risk.fitted.use import for_practice as dropout_model
from stillhere.risk.history import purge_history
from stillhere.risk.models import CurrentRisk, NoShowRisk, RiskScore
from stillhere.simulator.generate import simulate
from stillhere.worker import jobs
from stillhere.worker.clock import Clock
from stillhere.worker.models import Run

AS_OF = date(2026, 6, 1)


def at(day: date, hour: int = 6) -> datetime:
    return datetime.combine(day, time(hour), dt_timezone.utc)


def load(slug: str, sim) -> Practice:
    practice = Practice.objects.create(name=slug.title(), slug=slug, timezone=sim.timezone)
    load_practice(practice, sim.clinicians, sim.clients, sim.episodes, sim.appointments)
    load_measures(practice, sim.measures)
    return practice


def rows_written() -> tuple:
    return (StateChange.objects.count(), RiskScore.objects.count(), NoShowRisk.objects.count(),
            sorted(CurrentRisk.objects.values_list("episode_id", "as_of", "risk", "band")))


def row_by_row_scan(practice: Practice, as_of: datetime) -> dict:
    """The scan as it stored before issue 18, kept here as the reference:
    every episode reconciled and moved through change_state one at a time,
    with the model objects and the per-episode queries of reconcile.py."""
    df, _ = scored_frame(practice, as_of)
    model = dropout_model(practice)
    df = model.rescore(df)
    episodes = Episode.objects.in_bulk(df["episode_id"].tolist())
    out = {}
    for row in df.to_dict("records"):
        episode = episodes[row["episode_id"]]
        row["reasons"] = model.reasons(row, practice.tz)
        target = decide(episode, row, as_of, None, practice.tz)
        if target:
            change_state(episode, target.state, target.reason, detail=target.detail, at=target.at,
                         safety_check=target.safety_check)
        out[episode.external_id] = (episode.state, episode.state_since, round(float(row["risk"]), 4),
                                    default_model.band(float(row["risk"])), row["reasons"])
    return out


def stored_facts(practice: Practice) -> dict:
    """Per episode (by its id in the practice's records): its state, since
    when, its end, and every state change it has had."""
    changes = {}
    for c in StateChange.objects.filter(practice=practice).select_related("episode").order_by("id"):
        changes.setdefault(c.episode.external_id, []).append(
            (c.old_state, c.new_state, c.reason, c.detail, c.at, c.safety_check, c.processed))
    return {e.external_id: (e.state, e.state_since, e.ended, e.end_reason, changes.get(e.external_id, []))
            for e in Episode.objects.filter(practice=practice)}


class ScanWritesTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.sim = simulate(150, seed=5, as_of=AS_OF)
        cls.practice = load("sim", cls.sim)

    def test_a_second_scan_of_the_same_facts_writes_nothing(self):
        first = scan_practice(self.practice, at(AS_OF))
        self.assertGreater(first.changes, 0)
        self.assertGreater(first.scores_written, 0)
        self.assertGreater(first.noshows_written, 0)
        before = rows_written()
        again = scan_practice(self.practice, at(AS_OF))
        self.assertEqual((again.changes, again.scores_written, again.noshows_written), (0, 0, 0))
        self.assertEqual(rows_written(), before)
        # ... and says the same about every episode.
        self.assertEqual(again.episodes, first.episodes)

    def test_a_risk_that_moves_writes_exactly_one_history_row(self):
        scan_practice(self.practice, at(AS_OF))
        # An open episode with nothing booked: booking its next session moves its risk and its reasons.
        current = {c.episode_id: c for c in CurrentRisk.objects.filter(practice=self.practice)}
        episode = next(e for e in Episode.objects.filter(practice=self.practice, ended__isnull=True,
                                                         state=Episode.State.ACTIVE).order_by("id")
                       if e.pk in current and "Nothing booked" in current[e.pk].reasons)
        scores = RiskScore.objects.count()
        Appointment.objects.create(practice=self.practice, episode=episode, start=at(AS_OF + timedelta(days=3), 10), status=Appointment.Status.SCHEDULED,
                                   booked_at=at(AS_OF) - timedelta(hours=1))
        out = scan_practice(self.practice, at(AS_OF))
        self.assertEqual(out.scores_written, 1)
        self.assertEqual(RiskScore.objects.count(), scores + 1)
        newest = RiskScore.objects.latest("id")
        self.assertEqual(newest.episode_id, episode.pk)
        self.assertNotIn("Nothing booked", newest.reasons)
        self.assertEqual(CurrentRisk.objects.get(episode=episode).reasons, newest.reasons)
        # The new appointment got its no-show score; no other appointment did.
        self.assertEqual(out.noshows_written, 1)

    def test_old_history_is_purged_by_housekeeping_but_each_score_now_is_kept(self):
        episode = Episode.objects.filter(practice=self.practice, ended__isnull=True,
                                         started__lt=AS_OF - timedelta(days=60)).order_by("id").first()
        lone = Episode.objects.filter(practice=self.practice, ended__lt=AS_OF - timedelta(days=90)).first()

        def score(ep, days_ago, reasons):
            return RiskScore.objects.create(practice=self.practice, episode=ep, as_of=at(AS_OF) - timedelta(days=days_ago),
                                            risk=0.3, band="high", reasons=reasons, model_version="default-1")

        old, recent, only = score(episode, 800, ["Old"]), score(episode, 100, ["Recent"]), score(lone, 800, [])
        scan_practice(self.practice, at(AS_OF))
        self.assertTrue(CurrentRisk.objects.filter(episode=episode).exists())
        now = at(AS_OF) + timedelta(days=1)
        due = jobs.due_now(now)[0]
        self.assertEqual(due.job, Run.Job.HOUSEKEEPING)
        line = jobs.execute(due, jobs.claim(due, "a", now), Clock(now, speed=1e-9), lambda: False)
        self.assertIn("1 old risk score removed", line)
        self.assertFalse(RiskScore.objects.filter(pk=old.pk).exists())
        # Within the 730 days kept: stays. The newest score of an episode stays however old: it is its score now.
        self.assertTrue(RiskScore.objects.filter(pk=recent.pk).exists())
        self.assertTrue(RiskScore.objects.filter(pk=only.pk).exists())
        with self.settings(SCORE_HISTORY_DAYS=30):
            self.assertEqual(purge_history(now), (1, 0))
        self.assertFalse(RiskScore.objects.filter(pk=recent.pk).exists())
        self.assertTrue(RiskScore.objects.filter(episode=episode, as_of=at(AS_OF)).exists())


class SameAsRowByRowTestCase(TestCase):
    """Two copies of one simulated practice, scanned week after week: one by
    the bulk scan, one by the row-by-row reference."""

    @classmethod
    def setUpTestData(cls):
        sim = simulate(220, seed=7, as_of=AS_OF + timedelta(days=28))
        cls.bulk = load("bulk", sim)
        cls.rows = load("rows", sim)

    def test_states_risks_and_reasons_equal_the_row_by_row_scans(self):
        for day in (AS_OF, AS_OF + timedelta(days=7), AS_OF + timedelta(days=21)):
            out = scan_practice(self.bulk, at(day))
            ref = row_by_row_scan(self.rows, at(day))
            got = {o["episode_id"]: o for o in out.episodes}
            self.assertEqual(got.keys(), ref.keys())
            for ext, (state, since, risk, band, reasons) in ref.items():
                o = got[ext]
                self.assertEqual((o["state"], o["state_since"], o["risk"], o["band"], o["reasons"]),
                                 (state, since.astimezone(dt_timezone.utc).isoformat().replace("+00:00", "Z")
                                  if since else None, risk, band, reasons), ext)
            self.assertEqual(stored_facts(self.bulk), stored_facts(self.rows), day)
        self.assertGreater(StateChange.objects.filter(practice=self.bulk).count(), 20)
        moved = set(StateChange.objects.filter(practice=self.bulk).values_list("new_state", flat=True))
        self.assertLessEqual({"missed", "lapsed", "watch", "re_engaged"}, moved)
        # The latest stored score of each open episode is the scan's.
        latest = {c.episode.external_id: (round(c.risk, 4), c.band, c.reasons)
                  for c in CurrentRisk.objects.filter(practice=self.bulk).select_related("episode")}
        for ext, o in got.items():
            if o["state"] not in ENDED:
                self.assertEqual(latest[ext][1:], (o["band"], o["reasons"]), ext)
