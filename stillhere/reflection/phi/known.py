"""Layer 1: every name the practice already knows.

The practice's own records are the surest list of who might be named: the
client (first, last, preferred), the practice's other clients, clinicians
and staff, the practice itself and the client's address. Each is matched
whole and in parts ("Anne-Marie" also as "Anne" and "Marie"), whatever the
case or accents, possessives included. A part that is also an everyday
word ("Will", "Hope", "Rose") is matched where it is capitalised or reads
as a name ("hope said", "hope's"), so "I hope" stays while "Hope said" goes.
"""

import re
from dataclasses import dataclass, field

from .fold import fold
from .words import is_word

# Lower numbers win when two people share a name.
ROLES = {"client": 0, "clinician": 1, "colleague": 2, "contact": 3, "another client": 4, "practice": 5, "place": 6}
# What follows a lower-case word that makes it a name: "faith said", "hope's".
_NAME_NEXT = re.compile(r"'s\b|\s+(?:said|says|told|texted|rang|called|messaged|emailed|thinks|wants|came|asked)\b")
_PART_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?", re.U)


@dataclass
class KnownNames:
    """Folded name or name part -> the role that replaces it."""

    parts: dict[str, str] = field(default_factory=dict)
    phrases: dict[str, str] = field(default_factory=dict)   # multi-word: practice name, street
    _rx: re.Pattern | None = None

    def add(self, value: str | None, role: str) -> None:
        value = (value or "").strip()
        if len(value) < 2:
            return
        f = fold(value)
        self._put(self.phrases, f, role)
        for part in _PART_RE.findall(value):
            if len(part) >= 2 and (role not in ("practice", "place") or not is_word(part)):
                self._put(self.parts, fold(part), role)
        self._rx = None

    @staticmethod
    def _put(d: dict, key: str, role: str) -> None:
        if key not in d or ROLES[role] < ROLES[d[key]]:
            d[key] = role

    def find(self, text: str, folded: str) -> list[tuple[int, int, str]]:
        """(start, end, role) for every known name or part in `text`."""
        out = []
        for key, role in sorted(self.phrases.items(), key=lambda kv: -len(kv[0])):
            if " " in key or not key.isalpha():
                for m in re.finditer(r"(?<!\w)" + re.escape(key) + r"(?!\w)", folded):
                    out.append((m.start(), m.end(), role))
        for m in re.finditer(r"[^\W\d_]+", folded):
            role = self.parts.get(m.group())
            if role is None:
                continue
            original = text[m.start():m.end()]
            if is_word(original) and not original[:1].isupper() and not _NAME_NEXT.match(folded, m.end()):
                continue
            out.append((m.start(), m.end(), role))
        return out


def for_client(client, practice=None) -> KnownNames:
    """What the practice knows, for a note about `client` (a Client row)."""
    from stillhere.accounts.models import Membership
    from stillhere.clients.models import Client

    practice = practice or client.practice
    k = KnownNames()
    for v in (client.first_name, client.last_name, client.preferred_name):
        k.add(v, "client")
    for v in (client.address_line1, client.address_line2, client.city, client.region, client.postal_code):
        k.add(v, "place")
    k.add(client.email, "contact")
    k.add(client.phone, "contact")
    for m in Membership.objects.filter(practice=practice).select_related("user"):
        role = "clinician" if m.role == m.Role.CLINICIAN else "colleague"
        for v in (m.display_name, m.user.first_name, m.user.last_name):
            k.add(v, role)
    k.add(practice.name, "practice")
    others = Client.objects.filter(practice=practice).exclude(pk=client.pk)
    for first, last, preferred in others.values_list("first_name", "last_name", "preferred_name").iterator():
        for v in (first, last, preferred):
            k.add(v, "another client")
    return k
