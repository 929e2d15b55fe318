"""Every alert rule, with the words the clinician reads."""

from dataclasses import dataclass
from datetime import date, timedelta

from stillhere.measures.alerts import (
    ALLIANCE_BELOW_BASELINE, ALLIANCE_DROP, ALLIANCE_LOW, DETERIORATION, NOT_ON_TRACK, PLATEAU, SAFETY,
    AlertSettings, alert_points, current_alerts,
)
from stillhere.measures.custom import parse
from stillhere.measures.instruments import CHILD

START = date(2026, 3, 2)


@dataclass
class R:
    instrument: str
    taken_on: date
    total: float
    items: list | None = None
    episode_id: int | None = None


def weekly(code, totals, start=START, episode_id=None):
    return [R(code, start + timedelta(weeks=i), t, episode_id=episode_id) for i, t in enumerate(totals)]


def kinds(results, **kw):
    return [a.kind for a in current_alerts(results, **kw)]


def reasons(results, **kw):
    return {a.kind: a.reason for a in current_alerts(results, **kw)}


# --- alliance --------------------------------------------------------------

def test_an_alliance_rating_below_36_raises_an_alert_and_36_does_not():
    assert reasons(weekly("SRS", [38, 35.9]))[ALLIANCE_LOW] == (
        "SRS 35.9 on 9 Mar 2026 is below 36, the cutoff for an alliance concern. Ask early in the next session "
        "what could work better.")
    assert ALLIANCE_LOW not in kinds(weekly("SRS", [36.5, 36]))


def test_a_fall_of_the_srs_reliable_change_raises_an_alert_and_a_smaller_one_does_not():
    # 3 points: the reliable change the product uses for the SRS (instruments.py).
    assert reasons(weekly("SRS", [39, 36]))[ALLIANCE_DROP] == (
        "SRS fell 3 points since the previous session, from 39 on 2 Mar 2026 to 36 on 9 Mar 2026. Invite the "
        "client to say what felt off.")
    assert kinds(weekly("SRS", [39, 36.1])) == []
    assert kinds(weekly("SRS", [39, 37])) == []      # the 2-point fall of the issue


def test_the_drop_that_counts_can_be_set_by_the_practice():
    st = AlertSettings(alliance_drop=2)
    assert kinds(weekly("SRS", [39, 37.5]), settings=st) == []
    assert kinds(weekly("SRS", [39, 37]), settings=st) == [ALLIANCE_DROP]


def test_a_slow_slide_below_the_clients_own_baseline_raises_an_alert():
    # No single session falls by a point, but 38.8 -> 36.6 is a slide.
    series = weekly("SRS", [39, 38.8, 38.6, 38.0, 37.4, 36.8])
    assert reasons(series)[ALLIANCE_BELOW_BASELINE] == (
        "SRS 36.8 on 6 Apr 2026 is 2 points below this client's own baseline of 38.8 (the average of their first "
        "3 ratings).")
    assert ALLIANCE_DROP not in kinds(series)


def test_the_baseline_alert_waits_for_more_ratings_than_the_baseline_uses():
    assert kinds(weekly("SRS", [39.5, 38.7, 37.9])) == []  # 1.6 under the first, but only 3 ratings


def test_a_sudden_fall_says_so_once_rather_than_twice():
    assert kinds(weekly("SRS", [39, 39, 39, 39, 36])) == [ALLIANCE_DROP]


def test_a_low_and_falling_alliance_gives_both_reasons():
    assert kinds(weekly("SRS", [37, 33])) == [ALLIANCE_LOW, ALLIANCE_DROP]


def test_a_recovered_alliance_clears_the_alerts():
    assert kinds(weekly("SRS", [38, 33, 38])) == []


# --- outcome ---------------------------------------------------------------

def test_reliable_deterioration_on_phq9_is_six_points():
    assert reasons(weekly("PHQ-9", [8, 14]))[DETERIORATION] == (
        "PHQ-9 is reliably worse: from 8 on 2 Mar 2026 to 14 on 9 Mar 2026, a change of 6 points (reliable "
        "change is 6 points). Talk about it in the next session.")
    assert kinds(weekly("PHQ-9", [8, 13])) == []


def test_reliable_deterioration_on_gad7_is_four_points_and_on_ors_five():
    assert kinds(weekly("GAD-7", [9, 13])) == [DETERIORATION]
    assert kinds(weekly("GAD-7", [9, 12])) == []
    assert kinds(weekly("ORS", [22, 17])) == [DETERIORATION]
    assert kinds(weekly("ORS", [22, 17.1])) == []


def test_no_reliable_improvement_after_six_ratings_is_not_on_track():
    series = weekly("ORS", [15, 17, 16, 18, 17, 19.9])
    assert reasons(series)[NOT_ON_TRACK] == (
        "Not on track: after 6 ratings ORS has not improved reliably (from 15 on 2 Mar 2026 to 19.9 on 6 Apr "
        "2026; reliable change is 5 points). Talk together about whether the work is helping.")
    assert NOT_ON_TRACK not in kinds(series[:5])
    assert kinds(weekly("ORS", [15, 17, 16, 18, 17, 20])) == []  # 5 points: reliable improvement


def test_the_number_of_ratings_before_not_on_track_can_be_set():
    series = weekly("PHQ-9", [16, 15, 16, 14])
    assert kinds(series, settings=AlertSettings(not_on_track_after=4)) == [NOT_ON_TRACK]


def test_a_client_already_outside_the_clinical_range_is_not_called_off_track():
    assert kinds(weekly("PHQ-9", [7, 6, 7, 6, 7, 6])) == []
    assert kinds(weekly("ORS", [30, 31, 30, 31, 30, 31])) == []


def test_a_plateau_after_early_gains_raises_an_alert():
    series = weekly("PHQ-9", [22, 16, 14, 15, 14, 15])
    assert reasons(series)[PLATEAU] == (
        "PHQ-9 has stayed between 14 and 15 over the last 4 ratings (since 16 Mar 2026) and is still in the "
        "clinical range. Consider talking about what might move things.")


def test_a_plateau_needs_the_scores_to_stay_within_half_the_reliable_change():
    assert kinds(weekly("PHQ-9", [22, 16, 14, 17, 14, 15])) == []   # moved 3 points, half of 6


def test_only_the_strongest_outcome_alert_is_given():
    assert kinds(weekly("PHQ-9", [10, 17, 17, 17, 17, 17])) == [DETERIORATION]
    assert kinds(weekly("ORS", [15, 15, 15, 15, 15, 15])) == [NOT_ON_TRACK]


def test_children_are_judged_against_their_own_ors_cutoff():
    flat = weekly("ORS", [27, 27, 27.5, 27, 27.5, 27])
    assert kinds(flat) == []
    assert kinds(flat, population=CHILD) == [NOT_ON_TRACK]


# --- safety ----------------------------------------------------------------

def test_phq9_item_9_above_zero_raises_a_safety_alert_first():
    r = weekly("PHQ-9", [8, 15])
    r[-1].items = [2, 2, 2, 2, 2, 2, 1, 1, 1]
    alerts = current_alerts(r)
    assert [a.kind for a in alerts] == [SAFETY, DETERIORATION]
    assert alerts[0].reason == (
        "PHQ-9 on 9 Mar 2026: item 9 (thoughts of death or self-harm) was answered above 0 (the answer was 1). Look at "
        "this the same "
        "day and check on the client's safety.")
    assert alerts[0].on == date(2026, 3, 9)


def test_a_later_total_only_phq9_does_not_clear_the_safety_alert_but_a_later_zero_does():
    r = weekly("PHQ-9", [8, 8, 8])
    r[0].items = [1, 1, 1, 1, 1, 1, 1, 0, 1]
    assert SAFETY in kinds(r)
    r[2].items = [1, 1, 1, 1, 1, 1, 1, 1, 0]
    assert SAFETY not in kinds(r)


def test_a_practice_safety_item_works_like_phq9_item_9():
    cfg = parse("""
[[instrument]]
code = "CHECK-3"
name = "Three-question check"
kind = "outcome"
item_low = 0
item_high = 4
items = ["Mood", "Sleep", "Hope"]
reliable_change = 3
safety_items = [{item = 3, above = 2, reason = "(hope) was answered 3 or more"}]
""")
    r = [R("CHECK-3", START, 7, [2, 2, 3])]
    assert reasons(r, registry=cfg.registry)[SAFETY].startswith("CHECK-3 on 2 Mar 2026: item 3 (hope) was answered")


# --- history and shape ------------------------------------------------------

def test_a_new_episode_starts_from_a_fresh_baseline():
    old = weekly("ORS", [30, 22], episode_id=1)
    new = weekly("ORS", [14, 15], start=date(2027, 1, 4), episode_id=2)
    assert kinds(old) == [DETERIORATION]
    assert kinds(old + new) == []


def test_instruments_are_judged_separately_and_unknown_ones_are_skipped():
    r = weekly("SRS", [39, 35]) + weekly("PHQ-9", [5, 12]) + weekly("XYZ", [1, 90])
    r.sort(key=lambda x: x.taken_on)
    assert kinds(r) == [ALLIANCE_LOW, ALLIANCE_DROP, DETERIORATION]


def test_dicts_work_as_well_as_rows():
    r = [{"instrument": "SRS", "taken_on": START, "total": 30}]
    assert kinds(r) == [ALLIANCE_LOW]


def test_alert_points_mark_the_day_each_alert_was_raised():
    pts = alert_points(weekly("SRS", [39, 36, 36.5, 37, 34]))
    assert [(a.kind, a.on) for a in pts] == [
        (ALLIANCE_DROP, date(2026, 3, 9)), (ALLIANCE_LOW, date(2026, 3, 30)), (ALLIANCE_DROP, date(2026, 3, 30))]
