"""The tone check holds its targets on the hand-labelled sentences
(bench/tone.py prints the same figures, and the held-out set's)."""

from collections import Counter

import pytest

from stillhere.outreach import tone
from stillhere.outreach.tone_corpus import CORPUS, LINE_KINDS, PROBLEM_KINDS, load, score


def test_the_labelled_set_is_large_and_covers_every_kind():
    rows = load(CORPUS)
    assert len(rows) >= 300
    counts = Counter(label for row in rows for label in row.labels)
    assert counts["kind"] >= 80
    for kind in PROBLEM_KINDS + LINE_KINDS:
        assert counts[kind] >= 30, kind


@pytest.mark.parametrize("kind", PROBLEM_KINDS + LINE_KINDS)
def test_recall_and_precision_meet_the_targets(kind):
    scores, wrong = score(load(CORPUS))
    s = scores[kind]
    assert s.recall >= 0.95 and s.precision >= 0.9, (s, [r.text for r, _ in wrong])


@pytest.mark.parametrize("text,code", [
    ("If I don't hear from you by Friday, I will close your file.", "threat"),
    ("I'll assume you've quit if you don't reply.", "threat"),
    ("I was worried and hurt that you didn't show up.", "guilt"),
    ("You will be charged the full fee for the missed session.", "fee"),
    ("You need to call me immediately.", "pressure"),
])
def test_the_examples_in_the_issue_are_caught(text, code):
    assert code in {f.code for f in tone.check(text + " The door is open; reply any time.", "email")}


def test_kind_words_that_look_like_problems_are_not_flagged():
    for text in ("There's no pressure to call back, and nothing urgent at all.",
                 "There is no charge for a last meeting.", "You don't owe me an explanation."):
        assert not tone.problems(tone.check(text + " The door is open; reply any time.", "email")), text
