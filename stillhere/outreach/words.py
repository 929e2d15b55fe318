"""Outreach steps and their fate in the words a clinician uses.

Step keys ("call", "message", "closing") and skip reasons are written for the
code; these functions turn them into what a person reads, so no "step 0",
"call by phone call" or "stopped: …" reaches a page.
"""

STEP_NAMES = {
    "call": "Phone call",
    "message": "Message",
    "letter": "Letter",
    "closing": "Closing message",
    "safety_check": "Same-day safety check",
}
CHANNEL_NAMES = {"call": "phone call", "email": "email", "sms": "text message", "letter": "letter"}
ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")


TEMPLATE_NAMES = {
    "first_call": "First call",
    "checking_in": "Checking in",
    "invitation": "Invitation to a last session",
    "closing": "Closing, door open",
    "safety_check": "Same-day safety check",
}


def step_name(key: str) -> str:
    """A plan may hold two steps of a kind ("message", "message_2"): both read "Message"."""
    base, _, n = key.rpartition("_")
    if base and n.isdigit():
        key = base
    return STEP_NAMES.get(key) or key.replace("_", " ").capitalize()


def template_name(key: str) -> str:
    return TEMPLATE_NAMES.get(key) or key.replace("_", " ").capitalize()


def step_title(key: str, channel: str) -> str:
    """"Message by email", "Phone call", "Closing message by letter"; a step
    with no channel says why instead of "Message by "."""
    name = step_name(key)
    if not channel:
        return f"{name} (no way to reach the client they agreed to)"
    how = CHANNEL_NAMES.get(channel, channel)
    if name.lower() == how or (key in ("call", "safety_check") and channel == "call"):
        return name
    if key == "letter" and channel == "letter":
        return "Letter"
    return f"{name} by {how}"


def ordinal_step(position: int) -> str:
    """Position 0 is the "first contact"; people do not count from zero."""
    word = ORDINALS[position] if 0 <= position < len(ORDINALS) else f"number {position + 1}"
    return f"{word} contact"


def channel_list(channels) -> str:
    names = [CHANNEL_NAMES.get(c, c) for c in channels]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def skip_text(reason: str) -> str:
    """A stored skip reason as a sentence ending, for rows written before the
    reasons were worded for people as well."""
    if reason.startswith("stopped: "):
        return "outreach stopped because " + reason[len("stopped: "):]
    if reason.startswith("no consented channel among "):
        chans = [c.strip() for c in reason[len("no consented channel among "):].split(",")]
        return f"the client has not agreed to contact by {channel_list(chans)}"
    return reason
