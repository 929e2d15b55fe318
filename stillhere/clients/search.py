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
    text = text or ""
    if text.isascii():  # most names: no decomposition needed
        return " ".join(text.lower().split())
    decomposed = unicodedata.normalize("NFKD", text)
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
    found = {}  # client id -> sort key
    rows = visible_clients(m).values_list("id", "first_name", "last_name", "preferred_name", "external_id")
    for pk, first, last, preferred, ext in rows.iterator(chunk_size=2000):
        hay = fold(f"{first} {last} {preferred} {ext}")
        if all(w in hay for w in words):
            found[pk] = (fold(last), fold(first))
    # Each client's latest visible episode: open or ended, and how.
    latest: dict[int, tuple] = {}
    for client_id, ep_id, ended_on in (visible_episodes(m).filter(client_id__in=list(found))
                                       .order_by("client_id", "started", "id")
                                       .values_list("client_id", "id", "ended")):
        latest[client_id] = (ep_id, ended_on is not None)
    keep = [pk for pk in found if ended is None or latest.get(pk, (None, False))[1] == ended]
    keep.sort(key=lambda pk: (latest.get(pk, (None, False))[1], found[pk]))
    keep = keep[:limit]
    clients = Client.objects.in_bulk(keep)
    episodes = Episode.objects.select_related("clinician__user").in_bulk(
        [latest[pk][0] for pk in keep if pk in latest])
    return [Match(clients[pk], episodes.get(latest[pk][0]) if pk in latest else None,
                  latest.get(pk, (None, False))[1]) for pk in keep]
