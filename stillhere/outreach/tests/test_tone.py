import pytest

from stillhere.outreach import tone
from stillhere.outreach.templating import CHANNELS_DIR, builtin

GOOD = "Hi Ana, just checking in. Whenever you're ready the door is open: reply to this text."


def codes(text, channel, **kw):
    return {f.code for f in tone.check(text, channel, **kw)}


@pytest.mark.parametrize("path", sorted(CHANNELS_DIR.glob("*/templates/*.txt")), ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
def test_every_built_in_template_passes_its_own_tone_check(path):
    channel = path.parent.parent.name
    text = builtin(path.stem, channel)
    assert tone.problems(tone.check(text.body, channel, subject=text.subject, is_template=True)) == []


@pytest.mark.parametrize("text,channel,code", [
    ("You must call me back. " + GOOD, "sms", "pressure"),
    ("I was disappointed. " + GOOD, "email", "guilt"),
    ("You missed your appointment. " + GOOD, "email", "blame"),
    ("About your therapy. " + GOOD, "sms", "clinical-word"),
    ("About your therapy. " + GOOD, "call", "clinical-word"),
    ("Your PHQ-9 score was 14. " + GOOD, "email", "clinical-detail"),
    ("Hi Ana, hope you're well. Reply to this text.", "sms", "no-open-door"),
    ("Hi Ana, hope you're well. The door is open.", "email", "no-how-to-reach"),
    ("Hi {{ nmae }}. " + GOOD, "sms", "unknown-variable"),
    (GOOD + " x" * 200, "sms", "too-long"),
    (" ".join(["word"] * 100) + GOOD, "call", "too-long"),
])
def test_it_finds_and_explains(text, channel, code):
    findings = [f for f in tone.check(text, channel) if f.code == code]
    assert findings, code
    assert len(findings[0].message) > 30  # an explanation, not just a code


def test_therapy_words_are_fine_inside_an_email_but_not_in_its_subject():
    body = "I'd be glad to offer one more session. The door is open; reply any time."
    assert "clinical-word" not in codes(body, "email")
    assert "clinical-word" in codes(body, "email", subject="Your therapy")


def test_an_envelope_that_reveals_therapy_is_a_problem():
    assert "clinical-word" in codes(GOOD, "letter", envelope="Riverside Therapy Centre\nAna Abbott")
