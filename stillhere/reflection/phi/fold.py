"""Case- and accent-insensitive matching that keeps character positions.

`fold("Zoë")` is "zoe": one character out for every character in, so a
match found in the folded text is at the same place in the original.
This is what stops "Zoë" turning into "[name removed]ë".
"""

import unicodedata

_SPECIAL = {"ß": "s", "æ": "a", "œ": "o", "ø": "o", "ł": "l", "đ": "d", "ı": "i", "’": "'", "‘": "'"}


def _fold_char(c: str) -> str:
    low = c.lower()[:1] or c
    if low in _SPECIAL:
        return _SPECIAL[low]
    if ord(low) < 128:
        return low
    base = [ch for ch in unicodedata.normalize("NFKD", low) if not unicodedata.combining(ch)]
    return base[0] if base else low


def fold(text: str) -> str:
    """Lower case, accents off, same length as `text`."""
    return "".join(_fold_char(c) for c in text)
