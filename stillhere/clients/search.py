"""Find anyone: one search over a member's current and ended clients.

By full or partial name, preferred name or record number, ignoring case and
accents ("zoe" finds Zoë, "adebayo" finds Adébáyọ̀). Every word typed must
appear somewhere in the client's names or record number.

All search logic lives here, on purpose: names may later be encrypted at
rest (issue 17), and then this is the one place that changes (decrypt and
fold in Python, or match a blind index). The folding is done in Python over
the few short columns of the clients the member may see, which also keeps
it identical on SQLite and PostgreSQL.

The words searched for are never logged, audited or put in a URL: the page
posts them, and the audit row records only how many were found.
"""

import unicodedata
from dataclasses import dataclass

from stillhere.accounts.permissions import visible_clients, visible_episodes

from .models import Client, Episode

LIMIT = 50
MAX_TEXT = 200


def fold(text: str) -> str:
    """Lower case without accents: "Zoë Ó Briain" -> "zoe o briain"."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().replace("ø", "o").replace("ł", "l").replace("đ", "d").split())


@dataclass
class Match:
    client: Client
    episode: Episode | None     # the latest episode the member can see
    ended: bool

    @property
    def ending(self) -> str:
        """How the latest episode ended, in words (empty while it is open)."""
        if not self.ended or self.episode is None:
            return ""
        return self.episode.get_end_reason_display() or self.episode.get_state_display()


def _membership(practice, user):
    return user.memberships.select_related("practice").get(practice=practice)


def find_clients(practice, user, text: str, *, ended: bool | None = None, limit: int = LIMIT) -> list[Match]:
    """Clients of `practice` that `user` may see whose names or record number
    hold every word of `text`. `ended`: True for clients whose latest episode
    has ended, False for clients in therapy now, None for both."""
    words = fold(text[:MAX_TEXT]).split()
    if not words:
        return []
    m = _membership(practice, user)
    found = []
    rows = visible_clients(m).values_list("id", "first_name", "last_name", "preferred_name", "external_id")
    for pk, first, last, preferred, ext in rows.iterator(chunk_size=2000):
        hay = fold(f"{first} {last} {preferred} {ext}")
        if all(w in hay for w in words):
            found.append(pk)
    latest: dict[int, Episode] = {}
    for e in (visible_episodes(m).filter(client_id__in=found).select_related("clinician__user")
              .order_by("client_id", "started", "id")):
        latest[e.client_id] = e
    clients = Client.objects.in_bulk(found)
    out = []
    for pk in found:
        e = latest.get(pk)
        is_ended = bool(e and e.ended)
        if ended is not None and is_ended != ended:
            continue
        out.append(Match(clients[pk], e, is_ended))
    out.sort(key=lambda x: (x.ended, fold(x.client.last_name), fold(x.client.first_name)))
    return out[:limit]
