"""Find anyone: one search over a member's current and ended clients.

By the beginning of any word of a client's names or preferred name, or by
their whole record number, ignoring case and accents ("zoe" finds Zoë,
"whit" finds Whitfield, "adebayo" finds Adébáyọ̀, "ehr-4471" finds the
client with that record number). Every word typed must match.

Names and record numbers are encrypted at rest, so the database answers
from the name index (name_index.py: keyed digests of folded name words and
their prefixes), and only the clients it finds are decrypted, to check
one-letter words and sort. A search of one-letter words only ("a") cannot
use the index and reads every visible client's names instead: the same
rule, the old way.

The words searched for are never logged, audited or put in a URL: the page
posts them, and the audit row records only how many were found.
"""

from dataclasses import dataclass

from stillhere.accounts.permissions import visible_clients, visible_episodes

from . import name_index
from .models import Client, Episode
from .name_index import fold  # noqa: F401  (the folding the search and its tests use)

LIMIT = 50
MAX_TEXT = 200
SHOWN = ("first_name", "last_name", "preferred_name", "external_id")


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


def find_clients(practice, user, text: str, *, ended: bool | None = None, limit: int = LIMIT,
                 use_index: bool = True) -> list[Match]:
    """Clients of `practice` that `user` may see whose names or record number
    match every word of `text`. `ended`: True for clients whose latest episode
    has ended, False for clients in therapy now, None for both. `use_index`
    False reads every visible client's names (what one-letter words need;
    the bench times both)."""
    text = text[:MAX_TEXT]
    words = name_index.query_words(text)
    if not words:
        return []
    m = _membership(practice, user)
    rows = visible_clients(m)
    where = name_index.matching_clients(practice.pk, words, whole=text) if use_index else None
    if where is not None:
        rows = rows.filter(where)
    found = {}  # client id -> sort key
    for pk, first, last, preferred, ext in (rows.values_list("id", "first_name", "last_name", "preferred_name",
                                                            "external_id").iterator(chunk_size=2000)):
        if name_index.matches(words, first, last, preferred, ext, whole=text):
            found[pk] = (fold(last), fold(first), pk)
    # Each client's latest visible episode: open or ended, and how.
    latest: dict[int, tuple] = {}
    for client_id, ep_id, ended_on in (visible_episodes(m).filter(client_id__in=list(found))
                                       .order_by("client_id", "started", "id")
                                       .values_list("client_id", "id", "ended")):
        latest[client_id] = (ep_id, ended_on is not None)
    keep = [pk for pk in found if ended is None or latest.get(pk, (None, False))[1] == ended]
    keep.sort(key=lambda pk: (latest.get(pk, (None, False))[1], found[pk]))
    keep = keep[:limit]
    # The page shows names and record numbers only: the contact details stay undecrypted.
    clients = Client.objects.only("id", "code", "practice_id", *SHOWN).in_bulk(keep)
    episodes = Episode.objects.select_related("clinician__user").in_bulk(
        [latest[pk][0] for pk in keep if pk in latest])
    return [Match(clients[pk], episodes.get(latest[pk][0]) if pk in latest else None,
                  latest.get(pk, (None, False))[1]) for pk in keep]
