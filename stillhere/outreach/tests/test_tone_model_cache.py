"""The tone check's fitted model is kept in the data folder, so a one-shot
process (`stillhere tick` from cron) reads it instead of importing
scikit-learn and training again; stale or untrustworthy files are rebuilt."""

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path
from unittest import skipUnless

import numpy as np
from django.conf import settings
from django.db import connection
from django.test import SimpleTestCase, TransactionTestCase

from stillhere.accounts.models import Practice
from stillhere.outreach import tone, tone_model
from stillhere.outreach.models import OutreachStep, Sequence
from stillhere.test import make_client, make_member

from .helpers import DAY1, consent_everything

ON_POSTGRES = connection.vendor == "postgresql"
# A draft with a finding only the model makes (no pattern knows this wording).
DRAFT = "I was stuck there on my own for the hour. The door is open; reply any time."
CHECK_IN_A_FRESH_PROCESS = """
import json, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stillhere.settings")
import django
django.setup()
from stillhere.outreach import tone
codes = sorted(f.code for f in tone.check(sys.argv[1], "email"))
print(json.dumps({"codes": codes, "scikit_learn_imported": "sklearn" in sys.modules}))
"""


def check_in_a_fresh_process(data_dir: str) -> dict:
    env = dict(os.environ, STILLHERE_DATA_DIR=data_dir)
    done = subprocess.run([sys.executable, "-c", CHECK_IN_A_FRESH_PROCESS, DRAFT], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


class FreshDataDir:
    def setUp(self):
        super().setUp()
        self.data_dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.data_dir, True)
        self._env = os.environ.get("STILLHERE_DATA_DIR")
        os.environ["STILLHERE_DATA_DIR"] = self.data_dir
        self.addCleanup(self._restore)
        self.cache = Path(self.data_dir) / tone_model.CACHE_NAME

    def _restore(self):
        if self._env is None:
            os.environ.pop("STILLHERE_DATA_DIR", None)
        else:
            os.environ["STILLHERE_DATA_DIR"] = self._env


class StoredModelTestCase(FreshDataDir, SimpleTestCase):
    def setUp(self):
        super().setUp()
        self._trained, self._corpus = tone_model._trained, tone_model.CORPUS
        self.addCleanup(self._put_back)

    def _put_back(self):
        tone_model._trained, tone_model.CORPUS = self._trained, self._corpus
        tone_model.read.cache_clear()

    def fresh(self, corpus=None):
        """model() as a new process would call it."""
        tone_model._trained = None
        tone_model.CORPUS = corpus or self._corpus
        tone_model.read.cache_clear()
        return tone_model.model()

    def stored_key(self) -> str:
        with np.load(self.cache, allow_pickle=False) as f:
            return str(f["key"])

    def test_the_first_process_trains_and_stores_the_next_reads_without_scikit_learn(self):
        first = check_in_a_fresh_process(self.data_dir)
        self.assertTrue(first["scikit_learn_imported"])  # it had to train
        self.assertIn("guilt", first["codes"])
        self.assertEqual(stat.S_IMODE(self.cache.stat().st_mode), 0o600)
        stored = self.cache.stat().st_mtime_ns
        second = check_in_a_fresh_process(self.data_dir)
        self.assertFalse(second["scikit_learn_imported"])
        self.assertEqual(second["codes"], first["codes"])
        self.assertEqual(self.cache.stat().st_mtime_ns, stored)  # read, not rewritten

    def test_stored_weights_read_exactly_as_the_trained_model(self):
        trained = self.fresh()
        loaded = self.fresh()
        self.assertIsNot(loaded, trained)
        for text in ("I was stuck there on my own for the hour.", "There's no charge at all.",
                     "The invitation never runs out.", "If I don't hear back, I'll close your file."):
            a, b = trained.read(text), loaded.read(text)
            self.assertEqual({k: w for k, (_, w) in a.items()}, {k: w for k, (_, w) in b.items()})
            for kind in a:
                self.assertAlmostEqual(a[kind][0], b[kind][0], places=12)

    def test_new_labelled_sentences_make_the_stored_model_stale(self):
        corpus = Path(self.data_dir) / "sentences.csv"
        shutil.copy(self._corpus, corpus)
        self.fresh(corpus)
        before = self.stored_key()
        self.assertEqual(before, tone_model.training_key(corpus))
        with open(corpus, "a") as f:
            f.write("guilt,email,I rearranged my whole week around you and got nothing back.\n")
        self.fresh(corpus)
        self.assertNotEqual(self.stored_key(), before)
        self.assertEqual(self.stored_key(), tone_model.training_key(corpus))

    def test_another_library_version_makes_the_stored_model_stale(self):
        self.fresh()
        before = self.stored_key()
        real = tone_model.metadata.version
        tone_model.metadata.version = lambda dist: "0.0-other" if dist == "scikit-learn" else real(dist)
        try:
            self.fresh()
            self.assertNotEqual(self.stored_key(), before)
        finally:
            tone_model.metadata.version = real

    def test_a_file_others_could_change_or_a_damaged_file_is_not_trusted(self):
        self.fresh()
        self.cache.chmod(0o666)
        self.assertIsNone(tone_model._load_cached(self.cache, tone_model.training_key()))
        self.fresh()  # trained again and stored owner-only
        self.assertEqual(stat.S_IMODE(self.cache.stat().st_mode), 0o600)
        self.cache.write_bytes(b"not a model")
        self.assertIsNone(tone_model._load_cached(self.cache, tone_model.training_key()))
        self.assertIsNotNone(self.fresh())
        self.assertEqual(self.stored_key(), tone_model.training_key())

    def test_a_data_folder_that_cannot_be_made_still_checks_tone(self):
        blocker = Path(self.data_dir) / "a-file"
        blocker.write_text("")
        os.environ["STILLHERE_DATA_DIR"] = str(blocker / "data")  # a folder inside a file: never creatable
        self.assertIsNotNone(self.fresh())
        self.assertFalse((blocker / "data").exists())
        self.assertIn("guilt", tone.hurts("I was stuck there on my own for the hour."))


WRAPPED_CLI = """
import atexit, sys
atexit.register(lambda: print("scikit-learn imported:", "sklearn" in sys.modules))
from stillhere.cli import main
main(["stillhere"] + sys.argv[1:])
"""


@skipUnless(ON_POSTGRES, "a `stillhere tick` process needs a shared PostgreSQL database")
class OneShotTickTestCase(FreshDataDir, TransactionTestCase):
    """Real `stillhere tick` processes drafting an email, as cron runs them."""

    def setUp(self):
        super().setUp()
        self.practice = Practice.objects.create(name="Riverside Practice", slug="riverside", timezone="Europe/London")
        self.alice = make_member(self.practice, "alice", "clinician")
        self.db = connection.settings_dict["NAME"]

    def due_email(self, code):
        client = make_client(self.practice, self.alice, code, "Ana", "Abbott")
        consent_everything(client)
        ep = client.episodes.get()
        ep.state = "missed"
        ep.save()
        seq = Sequence.objects.create(practice=self.practice, client=client, episode=ep, anchor=DAY1, started=DAY1)
        return OutreachStep.objects.create(sequence=seq, practice=self.practice, client=client, episode=ep,
                                           position=1, key="message", template="checking_in", channel="email",
                                           due=DAY1, status="scheduled")

    def tick(self) -> str:
        env = {k: v for k, v in os.environ.items() if k != "TEST_DB_NAME"}
        # Its own data folder (so no stored model to start with), and this
        # process's secret key, which opens the client rows it wrote.
        env.update(DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{self.db}", STILLHERE_DATA_DIR=self.data_dir,
                   SECRET_KEY=settings.SECRET_KEY)
        done = subprocess.run([sys.executable, "-c", WRAPPED_CLI, "tick", "--as-of", DAY1.isoformat()], env=env,
                              capture_output=True, text=True, timeout=300)
        self.assertEqual(done.returncode, 0, done.stderr)
        return done.stdout

    def test_only_the_first_drafting_tick_trains_the_tone_model(self):
        first = self.due_email("r-001")
        out = self.tick()
        self.assertIn("drafted", out)
        self.assertIn("scikit-learn imported: True", out)
        self.assertEqual(stat.S_IMODE(self.cache.stat().st_mode), 0o600)
        second = self.due_email("r-002")
        out = self.tick()
        self.assertIn("drafted", out)
        self.assertIn("scikit-learn imported: False", out)
        first.refresh_from_db()
        second.refresh_from_db()
        self.assertEqual(second.status, first.status)
        self.assertEqual([f["code"] for f in second.findings], [f["code"] for f in first.findings])
