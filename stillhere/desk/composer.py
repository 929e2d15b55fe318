"""The composer's arithmetic: how a draft fits its channel.

A text is billed and delivered in segments. Plain GSM-7 text fits 160
characters in one (153 per part once split); a single character outside that
set (a curly apostrophe, an emoji) makes the whole text UCS-2, 70 characters
(67 per part). Clinicians rarely know this, and a kind three-line text
arriving in three pieces reads worse, so the composer says it as they type.
"""

import math
from dataclasses import dataclass

from stillhere.outreach import tone

GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM_EXTENDED = set("^{}\\[~]|€\f")  # each takes two characters' room
WORDS_PER_MINUTE = 150                # a calm speaking pace for a voicemail


@dataclass
class Meter:
    channel: str
    words: int
    chars: int
    max_words: int | None
    max_chars: int | None
    segments: int = 0
    per_segment: int = 0
    unicode_chars: str = ""
    seconds: int = 0

    @property
    def over(self) -> bool:
        return bool((self.max_words and self.words > self.max_words)
                    or (self.max_chars and self.chars > self.max_chars))

    @property
    def summary(self) -> str:
        if self.channel == "sms":
            text = f"{self.chars} of {self.max_chars} characters · {self.segments} text{'s' if self.segments != 1 else ''}"
            if self.unicode_chars:
                text += f" ({self.per_segment} characters each, because of {self.unicode_chars})"
            return text
        text = f"{self.words} of {self.max_words} words"
        if self.channel == "call":
            text += f" · about {self.seconds} seconds spoken"
        return text


def sms_segments(text: str) -> tuple[int, int, str]:
    """(segments, characters per segment, the characters forcing Unicode)."""
    odd = sorted({c for c in text if c not in GSM_BASIC and c not in GSM_EXTENDED})
    if odd:
        n, single, multi = len(text), 70, 67
    else:
        n, single, multi = len(text) + sum(c in GSM_EXTENDED for c in text), 160, 153
    if n <= single:
        return (1 if n else 0), single, " ".join(odd)
    return math.ceil(n / multi), multi, " ".join(odd)


def meter(body: str, channel: str) -> Meter:
    max_words, max_chars = tone.LIMITS.get(channel, (None, None))
    words = tone._words(body)
    m = Meter(channel, words, len(body), max_words, max_chars or (tone.LIMITS["sms"][1] if channel == "sms" else None))
    if channel == "sms":
        m.segments, m.per_segment, m.unicode_chars = sms_segments(body)
    if channel == "call":
        m.seconds = round(words * 60 / WORDS_PER_MINUTE)
    return m
