"""A practice's own instruments and thresholds, declared in TOML."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from stillhere.audit.models import AuditEvent
from stillhere.measures.custom import ConfigError, config_for, parse, save_config
from stillhere.measures.models import PracticeMeasures
from stillhere.measures.scoring import ScoringError, score
from stillhere.test import BaseTestCase

EXAMPLE = Path(__file__).resolve().parents[1] / "example_measures.toml"

WWC = """
[[instrument]]
code = "WWC-5"
name = "Weekly wellbeing check"
kind = "outcome"
higher_is_better = true
item_low = 0
item_high = 5
items = ["Cheerful", "Calm", "Energy", "Interest", "Hope"]
reliable_change = 4
bands = [{low = 0, label = "low"}, {low = 13, label = "moderate"}, {low = 19, label = "good"}]
cutoffs = [{value = 13, concern = "below", label = "low wellbeing"}]
"""


def test_the_example_file_is_valid_and_declares_its_own_instrument():
    cfg = parse(EXAMPLE.read_text())
    wwc = cfg.registry.get("WWC-5")
    assert wwc.custom and len(wwc.items) == 5 and wwc.items[0].hint == "felt in good spirits"
    assert cfg.registry.get("ORS").reliable_change_source == "Duncan (2012), PCOMS"
    assert cfg.checkin_every == 4


def test_a_custom_instrument_scores_like_a_built_in_one():
    reg = parse(WWC).registry
    s = score("wwc5", items=[3, 3, 2, 2, 2], registry=reg)
    assert (s.instrument, s.total, s.band, s.below_cutoff) == ("WWC-5", 12, "low", True)
    assert score("WWC-5", total=19, registry=reg).band == "good"
    with pytest.raises(ScoringError, match=r"WWC-5 item 5 \(Hope\): 6 is above the highest answer, 5."):
        score("WWC-5", items=[3, 3, 2, 2, 6], registry=reg)


def test_a_mean_scored_instrument_keeps_the_item_range_as_its_total_range():
    reg = parse(WWC.replace('kind = "outcome"', 'kind = "outcome"\nscoring = "mean"')
                .replace("bands = [{low = 0, label = \"low\"}, {low = 13, label = \"moderate\"}, "
                         "{low = 19, label = \"good\"}]", "")
                .replace("value = 13", "value = 2.5")).registry
    s = score("WWC-5", items=[3, 3, 2, 2, 2], registry=reg)
    assert s.total == pytest.approx(2.4) and s.below_cutoff


def test_overrides_change_reliable_change_and_alert_settings():
    cfg = parse('[reliable_change]\nSRS = 4\nphq9 = { points = 5, source = "local audit" }\n'
                '[alerts]\nalliance_drop = 2\nnot_on_track_after = 8\n[checkins]\nevery_sessions = 3\n')
    assert cfg.registry.get("SRS").reliable_change == 4
    assert cfg.registry.get("PHQ-9").reliable_change_source == "local audit"
    assert (cfg.alerts.alliance_drop, cfg.alerts.not_on_track_after, cfg.checkin_every) == (2, 8, 3)


@pytest.mark.parametrize("text,words", [
    ("[[instrument]\n", "Not valid TOML"),
    ("[colours]\n", "Unknown table 'colours'"),
    (WWC.replace('code = "WWC-5"', 'code = "phq 9"'), "'phq 9' is already an instrument"),
    (WWC.replace('kind = "outcome"', 'kind = "mood"'), "[[instrument]] 1 (WWC-5) kind: must be 'alliance' or"),
    (WWC.replace("item_high = 5", "item_high = 0"), "item_high: must be above item_low (0), got 0."),
    (WWC.replace("item_high = 5", "item_high = 5\nstep = 2"), "step: 2 does not divide the range 0 to 5."),
    (WWC.replace("reliable_change = 4", ""), "(WWC-5): reliable_change is required."),
    (WWC.replace("reliable_change = 4", "reliable_change = 0"), "reliable_change: must be greater than 0"),
    (WWC.replace("reliable_change = 4", "reliable_change = 4\ncolour = 1"), "unknown key 'colour'"),
    (WWC.replace('{low = 13, label = "moderate"}, {low = 19', '{low = 19, label = "moderate"}, {low = 13'),
     "bands: list them from the lowest to the highest."),
    (WWC.replace('concern = "below"', 'concern = "under"'), "cutoffs 1 concern: must be 'below' or"),
    (WWC + 'safety_items = [{item = 6}]\n', "safety_items 1 item: must be an item number from 1 to 5."),
    ("[reliable_change]\nBDI = 5\n", "[reliable_change] BDI: not a known instrument."),
    ("[reliable_change]\nORS = -1\n", "[reliable_change] ORS: must be greater than 0"),
    ("[alerts]\nplateau_ratings = 2.5\n", "[alerts] plateau_ratings: expected a whole number"),
    ("[alerts]\nloudness = 3\n", "[alerts] loudness: unknown key"),
    ("[checkins]\nevery_sessions = 0\n", "[checkins] every_sessions: expected a whole number of sessions"),
])
def test_mistakes_are_refused_saying_where_and_why(text, words):
    with pytest.raises(ConfigError) as e:
        parse(text)
    assert words in str(e.value)


class PracticeSettingsTestCase(BaseTestCase):
    def test_a_practices_instruments_are_its_own(self):
        save_config(self.riverside, WWC)
        assert score("WWC-5", total=10, practice=self.riverside).band == "low"
        with pytest.raises(ScoringError, match="'WWC-5' is not a known instrument"):
            score("WWC-5", total=10, practice=self.hillside)

    def test_a_bad_file_changes_nothing(self):
        save_config(self.riverside, WWC)
        with pytest.raises(ConfigError):
            save_config(self.riverside, WWC.replace("item_high = 5", "item_high = -5"))
        assert PracticeMeasures.objects.get(practice=self.riverside).toml == WWC
        assert config_for(self.riverside).registry.get("WWC-5") is not None

    def test_a_new_file_takes_effect_at_once(self):
        save_config(self.riverside, "[checkins]\nevery_sessions = 3\n")
        assert config_for(self.riverside).checkin_every == 3
        save_config(self.riverside, "[checkins]\nevery_sessions = 2\n")
        assert config_for(self.riverside).checkin_every == 2

    def test_the_command_checks_loads_and_shows_a_file(self):
        out = StringIO()
        call_command("instruments", check=str(EXAMPLE), stdout=out)
        assert "WWC-5    Weekly wellbeing check (practice)" in out.getvalue()
        call_command("instruments", practice="riverside", load=str(EXAMPLE), stdout=StringIO())
        assert config_for(self.riverside).registry.get("WWC-5")
        ev = AuditEvent.objects.get(verb="measures-settings-changed")
        assert ev.data == {"instruments": ["WWC-5"]}
        out = StringIO()
        call_command("instruments", practice="riverside", show=True, stdout=out)
        assert 'code = "WWC-5"' in out.getvalue()

    def test_the_command_refuses_a_bad_file_and_says_nothing_changed(self):
        bad = Path(self.id().replace(".", "_") + ".toml")
        bad = Path("/tmp") / bad
        bad.write_text("[alerts]\nloudness = 3\n")
        try:
            with pytest.raises(CommandError, match="unknown key.*Nothing was changed"):
                call_command("instruments", practice="riverside", load=str(bad), stdout=StringIO())
        finally:
            bad.unlink()
        assert not PracticeMeasures.objects.exists()
        with pytest.raises(CommandError, match="No practice with slug 'nowhere'"):
            call_command("instruments", practice="nowhere", stdout=StringIO())
