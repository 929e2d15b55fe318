"""The scores chart: cutoff line, alert points, words for screen readers."""

import re
from datetime import date, timedelta

from stillhere.measures.alerts import alert_points
from stillhere.measures.chart import build_chart
from stillhere.measures.instruments import BUILTIN
from stillhere.measures.record import record_result
from stillhere.measures.tests.test_alerts import weekly
from stillhere.test import BaseTestCase


def test_points_run_left_to_right_and_higher_scores_sit_higher():
    c = build_chart(BUILTIN["SRS"], weekly("SRS", [38, 34, 39]), [])
    xs, ys = [p.x for p in c.points], [p.y for p in c.points]
    assert xs == sorted(xs) and len(set(xs)) == 3
    assert ys[1] > ys[0] > ys[2]   # SVG y grows downwards


def test_the_cutoff_line_sits_between_scores_either_side_of_it():
    c = build_chart(BUILTIN["SRS"], weekly("SRS", [38, 34]), [])
    assert c.points[0].y < c.cutoff_y < c.points[1].y
    assert c.cutoff_label == "cutoff 36"


def test_alert_points_are_the_days_an_alert_was_raised():
    series = weekly("SRS", [39, 39, 35])
    c = build_chart(BUILTIN["SRS"], series, alert_points(series))
    assert [bool(p.alerts) for p in c.points] == [False, False, True]
    assert "SRS 35 on 16 Mar 2026 is below 36" in c.points[2].label
    assert c.summary == ("SRS: 3 ratings from 2 Mar 2026 to 16 Mar 2026; first 39, latest 35 (alliance concern). "
                         "Cutoff 36: below 36 is alliance concern. 1 point raised an alert.")


def test_a_single_rating_is_drawn_in_the_middle():
    c = build_chart(BUILTIN["PHQ-9"], weekly("PHQ-9", [12]), [])
    assert c.points[0].x == (c.left + c.right_edge) / 2
    assert c.summary.startswith("PHQ-9: 1 rating from 2 Mar 2026 to 2 Mar 2026")


def test_phq9_keeps_zero_on_the_axis_and_ors_zooms_to_the_data():
    assert build_chart(BUILTIN["PHQ-9"], weekly("PHQ-9", [18, 20]), []).y_ticks[0][1] == "0"
    ors = build_chart(BUILTIN["ORS"], weekly("ORS", [30, 31]), [])
    assert ors.y_ticks[0][1] == "20" and ors.y_ticks[-1][1] == "40"


class ChartOnPageTestCase(BaseTestCase):
    def test_the_client_page_draws_an_accessible_chart_with_cutoff_and_alert_points(self):
        for i, total in enumerate([39, 38.5, 34]):
            record_result(self.ana, "SRS", total=total, taken_on=date(2026, 1, 5) + timedelta(weeks=i))
        self.login(self.alice)
        html = self.client.get(f"/clients/{self.ana.code}/").content.decode()
        svg = re.search(r"<svg.*?</svg>", html, re.S).group(0)
        assert 'role="img"' in svg and 'aria-labelledby="m-t-srs m-d-srs"' in svg
        assert "<title id=\"m-t-srs\">SRS scores over time</title>" in svg
        assert 'class="m-cutoff"' in svg and "cutoff 36" in svg
        assert svg.count('class="m-alert-point"') == 1
        assert svg.count('class="m-point"') == 2
        assert "SRS scores as a table" in html
        assert "<td>19 Jan 2026</td><td>34</td><td>alliance concern</td>" in html.replace("\n", "")
