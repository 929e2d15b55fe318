"""Scoring test vectors for every built-in instrument, edge and invalid input,
and property tests of the invariants every instrument must keep."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stillhere.measures.instruments import ADOLESCENT, BUILTIN, CHILD, population_at
from stillhere.measures.scoring import CUTOFF, SAFETY, ScoringError, score

# (instrument, items, total, expected total, expected band, expected flag kinds)
VECTORS = [
    # ORS: 4 x 0-10 to the millimetre; adult cutoff 25 (below is clinical)
    ("ORS", [0, 0, 0, 0], None, 0, "clinical range", {CUTOFF}),
    ("ORS", [10, 10, 10, 10], None, 40, "non-clinical range", set()),
    ("ORS", [6.2, 6.2, 6.2, 6.3], None, 24.9, "clinical range", {CUTOFF}),
    ("ORS", [6.25 - 0.05, 6.3, 6.2, 6.3], None, 25.0, "non-clinical range", set()),
    ("ORS", ["5.5", " 6.1 ", 7, 8.2], None, 26.8, "non-clinical range", set()),
    ("ORS", None, 24.9, 24.9, "clinical range", {CUTOFF}),
    ("ORS", None, "25", 25, "non-clinical range", set()),
    # SRS: below 36 is an alliance concern; exactly 36 is not
    ("SRS", [9, 9, 9, 9], None, 36, "no alliance concern", set()),
    ("SRS", [9, 9, 9, 8.9], None, 35.9, "alliance concern", {CUTOFF}),
    ("SRS", None, 40, 40, "no alliance concern", set()),
    ("SRS", None, 0, 0, "alliance concern", {CUTOFF}),
    ("SRS", {1: 10, 2: 10, "3": 10, "item4": 9.5}, None, 39.5, "no alliance concern", set()),
    # PHQ-9: bands 5/10/15/20, caseness 10 or more, item 9 > 0 is a safety flag
    ("PHQ-9", [0] * 9, None, 0, "minimal", set()),
    ("PHQ-9", [1, 1, 1, 1, 0, 0, 0, 0, 0], None, 4, "minimal", set()),
    ("PHQ-9", [1, 1, 1, 1, 1, 0, 0, 0, 0], None, 5, "mild", set()),
    ("PHQ-9", [1, 1, 1, 1, 1, 1, 1, 1, 1], None, 9, "mild", {SAFETY}),
    ("PHQ-9", [2, 2, 2, 2, 2, 0, 0, 0, 0], None, 10, "moderate", {CUTOFF}),
    ("PHQ-9", [2, 2, 2, 2, 2, 2, 2, 0, 0], None, 14, "moderate", {CUTOFF}),
    ("PHQ-9", [3, 3, 3, 3, 3, 0, 0, 0, 0], None, 15, "moderately severe", {CUTOFF}),
    ("PHQ-9", [3, 3, 3, 3, 3, 2, 0, 0, 3], None, 20, "severe", {CUTOFF, SAFETY}),
    ("PHQ-9", [3] * 9, None, 27, "severe", {CUTOFF, SAFETY}),
    ("PHQ-9", [0, 0, 0, 0, 0, 0, 0, 0, 1], None, 1, "minimal", {SAFETY}),
    ("PHQ-9", None, 19, 19, "moderately severe", {CUTOFF}),
    ("PHQ-9", [1, 2, 0, 1, 0, 0, 1, 0, 0], 5, 5, "mild", set()),
    # GAD-7: bands 5/10/15, caseness 8 or more
    ("GAD-7", [0] * 7, None, 0, "minimal", set()),
    ("GAD-7", [1, 1, 1, 1, 0, 0, 0], None, 4, "minimal", set()),
    ("GAD-7", [1, 1, 1, 1, 1, 0, 0], None, 5, "mild", set()),
    ("GAD-7", [1, 1, 1, 1, 1, 1, 1], None, 7, "mild", set()),
    ("GAD-7", [2, 2, 2, 2, 0, 0, 0], None, 8, "mild", {CUTOFF}),
    ("GAD-7", [2, 2, 2, 2, 2, 0, 0], None, 10, "moderate", {CUTOFF}),
    ("GAD-7", [3, 3, 3, 3, 3, 0, 0], None, 15, "severe", {CUTOFF}),
    ("GAD-7", [3] * 7, None, 21, "severe", {CUTOFF}),
]


@pytest.mark.parametrize("code,items,total,expected,band,flags", VECTORS)
def test_it_scores_the_published_vectors(code, items, total, expected, band, flags):
    s = score(code, items=items, total=total)
    assert s.total == pytest.approx(expected)
    assert s.band == band
    assert {f.kind for f in s.flags} == flags


# (instrument, items, total, field, item, words in the message)
INVALID = [
    ("PHQ-9", [0, 1, 2, 3, 0, 1, 2, 3, 4], None, "item", 9, "PHQ-9 item 9 (Thoughts of death or self-harm): "
                                                            "4 is above the highest answer, 3."),
    ("PHQ-9", [0, -1, 0, 0, 0, 0, 0, 0, 0], None, "item", 2, "-1 is below the lowest answer, 0."),
    ("PHQ-9", [0, 0, 1.5, 0, 0, 0, 0, 0, 0], None, "item", 3, "PHQ-9 item 3 (Sleep): 1.5 is not a whole number."),
    ("PHQ-9", [0] * 8, None, "items", None, "expected 9 items; got 8."),
    ("PHQ-9", [0] * 10, None, "items", None, "expected 9 items; got 10."),
    ("PHQ-9", None, 28, "total", None, "PHQ-9 total: 28 is above the highest possible total, 27."),
    ("PHQ-9", None, -1, "total", None, "-1 is below the lowest possible total, 0."),
    ("PHQ-9", None, 9.5, "total", None, "9.5 is not a whole number."),
    ("PHQ-9", [0] * 9, 3, "total", None, "3 does not match the items, which add up to 0."),
    ("GAD-7", [0, 1, None, 0, 0, 0, 0], None, "item", 3, "GAD-7 item 3 (Worrying too much): missing."),
    ("GAD-7", [0, 1, "", 0, 0, 0, 0], None, "item", 3, "missing."),
    ("GAD-7", [0, 1, "two", 0, 0, 0, 0], None, "item", 3, "'two' is not a number."),
    ("GAD-7", [0, 1, True, 0, 0, 0, 0], None, "item", 3, "True is not a number."),
    ("GAD-7", [0, 1, float("nan"), 0, 0, 0, 0], None, "item", 3, "missing."),
    ("GAD-7", [0, 1, float("inf"), 0, 0, 0, 0], None, "item", 3, "not a number."),
    ("GAD-7", {8: 1}, None, "items", None, "'8' is not an item of GAD-7 (items are numbered 1 to 7)."),
    ("GAD-7", "0,1,2", None, "items", None, "items must be a list"),
    ("ORS", [10, 10, 10, 10.1], None, "item", 4, "ORS item 4 (Overall): 10.1 is above the highest answer, 10."),
    ("ORS", [1, 2, 3, 7.25], None, "item", 4, "7.25 is finer than the scale records (steps of 0.1)."),
    ("ORS", None, 40.5, "total", None, "ORS total: 40.5 is above the highest possible total, 40."),
    ("ORS", None, 12.34, "total", None, "finer than the scale records"),
    ("SRS", None, None, "total", None, "SRS total: missing (give the items, the total, or both)."),
    ("SRS", "", "  ", "total", None, "missing"),
    ("SRS", None, "thirty", "total", None, "'thirty' is not a number."),
    ("SRS", [9, 9, 9, 9], 35, "total", None, "35 does not match the items, which add up to 36."),
    ("BDI", [1], None, "instrument", None, "'BDI' is not a known instrument (known: ORS, SRS, PHQ-9, GAD-7)."),
]


@pytest.mark.parametrize("code,items,total,field,item,words", INVALID)
def test_it_refuses_bad_input_saying_which_item_and_why(code, items, total, field, item, words):
    with pytest.raises(ScoringError) as e:
        score(code, items=items, total=total)
    assert e.value.field == field
    assert e.value.item == item
    assert words in str(e.value)


def test_it_accepts_the_code_however_an_export_spells_it():
    for spelling in ("phq9", "PHQ 9", "Phq-9", "PHQ_9"):
        assert score(spelling, total=3).instrument == "PHQ-9"


def test_it_leaves_item_9_unchecked_when_only_the_total_is_known():
    s = score("PHQ-9", total=27)
    assert not s.safety and s.items is None


def test_it_uses_the_child_and_adolescent_ors_cutoffs():
    assert score("ORS", total=31.9, population=CHILD).below_cutoff
    assert not score("ORS", total=32, population=CHILD).below_cutoff
    assert score("ORS", total=27.9, population=ADOLESCENT).below_cutoff
    assert not score("ORS", total=25, population="adult").below_cutoff


def test_it_tells_the_population_from_the_birth_date():
    from datetime import date

    assert population_at(date(2015, 6, 1), date(2028, 5, 31)) == CHILD
    assert population_at(date(2015, 6, 1), date(2028, 6, 1)) == ADOLESCENT
    assert population_at(date(2000, 6, 1), date(2026, 1, 1)) == "adult"
    assert population_at(None, date(2026, 1, 1)) == "adult"


def test_its_error_messages_hold_no_more_than_the_offending_value():
    with pytest.raises(ScoringError) as e:
        score("SRS", items=["a very long piece of text that someone pasted", 1, 1, 1])
    assert len(str(e.value)) < 120


# --- invariants ---------------------------------------------------------


def answers(inst):
    steps = round((inst.item_high - inst.item_low) / inst.step)
    one = st.integers(0, steps).map(lambda k: round(inst.item_low + k * inst.step, inst.decimals))
    return st.lists(one, min_size=len(inst.items), max_size=len(inst.items))


instrument_and_answers = st.sampled_from(list(BUILTIN.values())).flatmap(
    lambda inst: st.tuples(st.just(inst), answers(inst)))


@settings(max_examples=300, deadline=None)
@given(instrument_and_answers)
def test_the_total_stays_within_the_instrument_range(case):
    inst, items = case
    s = score(inst.code, items=items)
    assert inst.total_low <= s.total <= inst.total_high
    assert s.band
    assert math.isclose(s.total, round(sum(items), inst.decimals))


@settings(max_examples=300, deadline=None)
@given(instrument_and_answers, st.data())
def test_raising_one_answer_never_lowers_the_total_or_the_band(case, data):
    inst, items = case
    i = data.draw(st.integers(0, len(items) - 1))
    higher = list(items)
    higher[i] = data.draw(st.sampled_from([v for v in [inst.item_high, round(items[i] + inst.step, 3)]
                                           if v <= inst.item_high]))
    a, b = score(inst.code, items=items), score(inst.code, items=higher)
    assert b.total >= a.total
    labels = [x.label for x in inst.bands]
    if labels:
        assert labels.index(b.band) >= labels.index(a.band)


@settings(max_examples=300, deadline=None)
@given(instrument_and_answers)
def test_the_total_alone_scores_the_same_as_the_items(case):
    inst, items = case
    by_items, by_total = score(inst.code, items=items), score(inst.code, total=sum(items))
    assert by_items.total == pytest.approx(by_total.total)
    assert by_items.band == by_total.band
    assert by_items.below_cutoff == by_total.below_cutoff


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(list(BUILTIN.values())), st.floats(allow_nan=False, allow_infinity=False, width=32))
def test_a_total_is_either_scored_within_range_or_refused(inst, total):
    try:
        s = score(inst.code, total=total)
    except ScoringError as e:
        assert e.field == "total"
    else:
        assert inst.total_low <= s.total <= inst.total_high


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(list(BUILTIN.values())), st.floats(0, 40))
def test_the_cutoff_flag_agrees_with_the_band(inst, total):
    total = round(min(total, inst.total_high), inst.decimals)
    s = score(inst.code, total=total)
    cut = inst.cutoff()
    assert s.below_cutoff == cut.is_concern(s.total)
