from datetime import date

import numpy as np
import pandas as pd
import pytest

from stillhere.simulator.generate import as_of_timestamp, dropout_share, simulate

AS_OF = date(2026, 11, 1)


@pytest.fixture(scope="module")
def large():
    return simulate(40_000, seed=11, as_of=AS_OF)


def test_same_seed_gives_the_same_practice():
    a, b = simulate(500, seed=3, as_of=AS_OF), simulate(500, seed=3, as_of=AS_OF)
    pd.testing.assert_frame_equal(a.appointments, b.appointments)
    pd.testing.assert_frame_equal(a.clients, b.clients)
    c = simulate(500, seed=4, as_of=AS_OF)
    assert not a.appointments["start"].equals(c.appointments["start"])


def test_about_a_fifth_of_episodes_end_without_goodbye(large):
    # Swift & Greenberg (2012): 19.7% weighted mean dropout.
    assert 0.17 <= dropout_share(large) <= 0.23


def test_dropout_is_most_likely_early(large):
    t = large.truth.dropna(subset=["hazard"]).copy()
    t["slot"] = t.groupby("episode_id").cumcount()
    first_three = t[t.slot < 3].hazard.mean()
    later = t[t.slot >= 10].hazard.mean()
    assert first_three > 2 * later


def test_no_show_and_late_cancel_rates_are_realistic(large):
    past = large.appointments[large.appointments.status != "scheduled"]
    share = past.status.value_counts(normalize=True)
    assert 0.05 <= share["no_show"] <= 0.12
    assert 0.02 <= share["late_cancel"] <= 0.08
    assert share["attended"] > 0.65


def test_dropout_rises_with_the_signals_the_design_names(large):
    t = large.truth.merge(large.appointments[["appointment_id", "status", "marker", "late_minutes"]],
                          on="appointment_id").dropna(subset=["hazard"])
    assert t[t.status == "no_show"].hazard.mean() > t[t.status == "attended"].hazard.mean()
    assert t[t.marker == "hard_session"].hazard.mean() > t[t.marker == ""].hazard.mean()
    assert t[t.late_minutes >= 20].hazard.mean() > t[t.late_minutes == 0].hazard.mean()


def test_ghosted_episodes_have_more_missed_sessions(large):
    a = large.appointments.merge(large.truth_episodes[["episode_id", "outcome"]], on="episode_id")
    missed = a.assign(m=a.status.isin(["no_show", "late_cancel"])).groupby("outcome", observed=True).m.mean()
    assert missed["no_goodbye"] > missed["planned"]


def test_nothing_after_the_as_of_date_is_known_except_bookings(large):
    a = large.appointments
    cut = as_of_timestamp(large)
    future = a[a.start >= cut]
    assert (future.status == "scheduled").all()
    assert (future.booked_at < cut).all()
    assert (a[a.start < cut].status != "scheduled").all()
    # at most one future booking per episode
    assert future.episode_id.is_unique
    assert (a.booked_at <= a.start).all()
    # every appointment falls on a weekday
    assert (a.start.dt.tz_convert(large.timezone).dt.weekday < 5).all()


def test_returns_start_new_episodes_linked_to_the_old(large):
    e = large.episodes
    returned = e[e.previous_episode_id > 0]
    assert len(returned) > 0.005 * len(e)  # two years of history: only early endings can return yet
    prev = e.set_index("episode_id").loc[returned.previous_episode_id]
    assert (prev.client_id.values == returned.client_id.values).all()
    assert (prev.started.values < returned.started.values).all()


def test_session_numbers_count_attended_sessions(large):
    a = large.appointments
    att = a[a.status == "attended"].sort_values("start")
    first = att.groupby("episode_id").session_number.apply(lambda s: (s.values == np.arange(1, len(s) + 1)).all())
    assert first.all()
    assert (a[a.status != "attended"].session_number == 0).all()


def test_a_share_of_the_caseload_is_in_therapy_today(large):
    e = large.episodes
    open_share = e.ended.isna().mean()
    assert 0.2 < open_share < 0.7


def test_srs_measures_relate_to_hard_sessions(large):
    # Alliance drops after hard sessions, which is what the risk layer reads.
    m = large.measures[large.measures.instrument == "SRS"]
    assert m.total.between(0, 40).all()
    assert 33 < m.total.mean() < 40
