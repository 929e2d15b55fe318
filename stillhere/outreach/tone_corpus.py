"""The tone check measured on sentences labelled by hand.

tests/data/tone_sentences.csv holds sentences written for this purpose (none
taken from elsewhere): kind ones, and ones that hurt in each way the check
looks for. Each row has its labels ("threat", "guilt|blame"...), the channel
it would go out on, and the text. bench/tone.py prints the figures and
tests/test_tone_corpus.py holds the check to its targets.

- A problem kind is scored on every sentence: predicted when the check
  reports that code for the sentence alone on its channel.
- The door-open and how-to-reach lines are scored on the sentences that
  hurt nobody (kind, door_open, how_to_reach): the "missing line" findings
  matter for an otherwise kind message, and a threat that says "reply by
  Friday" is judged as a threat.
"""

import csv
from dataclasses import dataclass
from pathlib import Path

from . import tone, tone_model

CORPUS = Path(__file__).resolve().parent / "tests" / "data" / "tone_sentences.csv"
# Written after the patterns were frozen, to see how far they carry.
HELD_OUT = CORPUS.with_name("tone_sentences_heldout.csv")
# Written before the check was broadened (and the classifier added), and
# never looked at while tuning: the honest figure for sentences not seen.
HELD_OUT_2 = CORPUS.with_name("tone_sentences_heldout2.csv")
# Written (and measured once, as the "before" figure) before the round that
# answered the first two held-out sets' misses; never trained or tuned on.
HELD_OUT_3 = CORPUS.with_name("tone_sentences_heldout3.csv")
# Written just after the third, when its misses had been seen: left out
# whatever paraphrased those misses, and its own misses are never listed
# (bench/tone.py --wrong skips it), so nothing was tuned on it.
HELD_OUT_4 = CORPUS.with_name("tone_sentences_heldout4.csv")
# Written in fresh wording before the round that tried sentence embeddings,
# with more kind sentences that look risky; like the fourth, its misses are
# never listed, so nothing is tuned on it.
HELD_OUT_5 = CORPUS.with_name("tone_sentences_heldout5.csv")
PROBLEM_KINDS = ("threat", "guilt", "blame", "fee", "pressure", "clinical")
LINE_KINDS = ("door_open", "how_to_reach")
CODE_TO_KIND = {"threat": "threat", "guilt": "guilt", "blame": "blame", "fee": "fee", "pressure": "pressure",
                "clinical-word": "clinical", "clinical-detail": "clinical"}
NAMES = {"threat": "threats and ultimatums", "guilt": "guilt", "blame": "blame", "fee": "fees and charges",
         "pressure": "pressure", "clinical": "clinical words on an exposed channel",
         "door_open": "door-open line found", "how_to_reach": "how-to-reach line found"}


@dataclass
class Row:
    labels: frozenset
    channel: str
    text: str


@dataclass
class Score:
    kind: str
    tp: int = 0
    fp: int = 0
    fn: int = 0
    support: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def load(path: Path = CORPUS) -> list[Row]:
    with open(path, newline="") as f:
        return [Row(frozenset(r["labels"].split("|")), r["channel"], r["text"]) for r in csv.DictReader(f)]


def predicted(row: Row) -> set[str]:
    kinds = {CODE_TO_KIND[f.code] for f in tone.check(row.text, row.channel)
             if f.severity == tone.PROBLEM and f.code in CODE_TO_KIND}
    if tone.opens_door(row.text):
        kinds.add("door_open")
    if tone.says_how_to_reach(row.text):
        kinds.add("how_to_reach")
    return kinds


def score(rows: list[Row]) -> tuple[dict[str, Score], list[tuple[Row, set]]]:
    """Scores per kind, and the rows the check got wrong (with what it said)."""
    scores = {k: Score(k) for k in PROBLEM_KINDS + LINE_KINDS}
    wrong = []
    for row in rows:
        got = predicted(row)
        harmless = row.labels <= {"kind", *LINE_KINDS}
        mistaken = False
        for kind, s in scores.items():
            if kind in LINE_KINDS and not harmless:
                continue
            gold, said = kind in row.labels, kind in got
            s.support += gold
            if gold and said:
                s.tp += 1
            elif said:
                s.fp += 1
                mistaken = True
            elif gold:
                s.fn += 1
                mistaken = True
        if mistaken:
            wrong.append((row, got))
    return scores, wrong


def cross_validated(rows: list[Row], folds: int = 5) -> tuple[dict[str, Score], list[tuple[Row, set]]]:
    """Scores with the model trained afresh without each fifth of the rows
    and scored on that fifth: what the model makes of sentences it did not
    learn from (the patterns stay as they are)."""
    totals = {k: Score(k) for k in PROBLEM_KINDS + LINE_KINDS}
    wrong = []
    for i in range(folds):
        test = [r for j, r in enumerate(rows) if j % folds == i]
        train = [(r.text, r.labels) for j, r in enumerate(rows) if j % folds != i]
        with tone_model.using(tone_model.Model(train)):
            scores, w = score(test)
        wrong += w
        for k, s in scores.items():
            t = totals[k]
            t.tp, t.fp, t.fn, t.support = t.tp + s.tp, t.fp + s.fp, t.fn + s.fn, t.support + s.support
    return totals, wrong
