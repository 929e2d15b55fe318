from pathlib import Path

from stillhere.outreach.policies import DEFAULT_PLAN
from stillhere.outreach.templating import CHANNELS_DIR
from stillhere.outreach.transports import TRANSPORTS


def test_every_channel_has_a_transport_templates_and_notify_tests():
    for kind, (_, path) in TRANSPORTS.items():
        folder = CHANNELS_DIR / kind
        assert (folder / "transport.py").exists(), kind
        assert list((folder / "templates").glob("*.txt")), kind
        assert (folder / "tests" / "test_notify.py").exists(), kind


def test_the_default_plan_has_a_template_for_each_of_its_channels_or_a_fallback():
    for step in DEFAULT_PLAN:
        assert any((CHANNELS_DIR / ch / "templates" / f"{step['template']}.txt").exists() for ch in step["channels"])
