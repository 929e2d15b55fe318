"""The client list: a member's open episodes, by client name, a page at a time.

A director of a 50-clinician practice sees some 5,000 open episodes; the list
used to read them all with their appointment counts and every client's
encrypted contact details, and took seconds under load. Now a page costs
three or four queries whatever the caseload:

1. a fingerprint of the member's open episodes (how many, which, whose: one
   aggregate over a small index);
2. only when that fingerprint is new, or a minute has passed: the open
   episodes' ids and their clients' names, which `by_name` orders (the one
   place that knows how names sort), kept per member (`_orders`);
3. the page's 50 episodes with only the columns the list shows (no contact
   details, so nothing is decrypted);
4. last seen, next booked and missed sessions, counted for those 50 only.
"""

import threading
import time

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Count, Max, Min, Q, Sum

from stillhere.accounts.permissions import visible_episodes

from .models import Appointment, Episode
from .search import fold

PAGE_SIZE = 50

# What the list shows of an episode, its client and clinician: nothing else
# is read (the client's contact details are encrypted, so reading them would
# mean decrypting eleven fields per row).
SHOWN = ("id", "started", "state", "client_id", "clinician_id",
         "client__code", "client__first_name", "client__last_name", "client__preferred_name",
         "clinician__display_name", "clinician__user__first_name", "clinician__user__last_name",
         "clinician__user__username")


def by_name(rows) -> list[int]:
    """Episode ids ordered as the list shows them: by the client's last name,
    then first name, ignoring case and accents ("Ó Briain" among the Os).

    `rows` are (episode id, last name, first name). The one place where the
    list's order is decided, in Python rather than in SQL, so that it stays
    the same when names are decrypted in Python (issue 17)."""
    return [pk for pk, *_ in sorted(rows, key=lambda r: (fold(r[1]), fold(r[2]), r[0]))]


class _Orders:
    """Each member's open episodes in list order, kept while their
    fingerprint (count and sums of the episode, client and clinician ids) is
    unchanged and for at most a minute.

    An episode opened, ended or handed to another clinician changes the
    fingerprint, so it shows (or goes) at once; a renamed client keeps their
    old place for up to TTL seconds (the new name itself shows at once: the
    rows are read fresh). Each gunicorn process keeps its own. Never inside
    a transaction (its own uncommitted rows must not be served to others;
    tests, which run in one, always see fresh results)."""

    TTL = 60.0

    def __init__(self):
        self.store: dict = {}
        self.lock = threading.Lock()

    def get(self, member, open_eps) -> list[int]:
        def compute():
            return by_name(open_eps.values_list("id", "client__last_name", "client__first_name"))

        if connection.in_atomic_block:
            return compute()
        fp = tuple(open_eps.aggregate(n=Count("id"), e=Sum("id"), c=Sum("client_id"),
                                      m=Sum("clinician_id")).values())
        key = (member.practice_id, member.pk, member.role)
        hit = self.store.get(key)
        if hit and hit[0] == fp and hit[1] > time.monotonic():
            return hit[2]
        order = compute()
        with self.lock:
            if len(self.store) > 5000:
                self.store.clear()
            self.store[key] = (fp, time.monotonic() + self.TTL, order)
        return order


_orders = _Orders()


@dataclass
class ListPage:
    rows: list[Episode]     # each with .last_seen, .next_booked, .missed
    page: Page              # of episode ids: number, has_next, paginator.count, ...
    first: int              # 1-based position of the first row shown
    last: int

    @property
    def total(self) -> int:
        return self.page.paginator.count


def open_episodes_page(member, number, now) -> ListPage:
    """Page `number` (anything a URL gives: bad or out of range means the
    nearest page) of the open episodes `member` may see."""
    open_eps = visible_episodes(member).filter(ended__isnull=True)
    page = Paginator(_orders.get(member, open_eps), PAGE_SIZE).get_page(number)
    ids = list(page.object_list)
    episodes = open_eps.filter(pk__in=ids).select_related("client", "clinician__user").only(*SHOWN)
    facts = {r["episode_id"]: r for r in (
        Appointment.objects.filter(episode_id__in=ids).values("episode_id").order_by().annotate(
            last_seen=Max("start", filter=Q(status=Appointment.Status.ATTENDED)),
            next_booked=Min("start", filter=Q(status=Appointment.Status.SCHEDULED, start__gte=now)),
            missed=Count("id", filter=Q(status__in=Appointment.MISSED))))}
    rows = {e.pk: e for e in episodes}
    for e in rows.values():
        f = facts.get(e.pk, {})
        e.last_seen, e.next_booked, e.missed = f.get("last_seen"), f.get("next_booked"), f.get("missed", 0)
    shown = [rows[pk] for pk in ids if pk in rows]
    first = page.start_index() if shown else 0
    return ListPage(shown, page, first, first + len(shown) - 1 if shown else 0)


def page_numbers(page: Page, around: int = 2) -> list[int | None]:
    """The page numbers a pager shows: the first, the last and those near the
    current one; None where some are left out ("1 … 4 5 6 … 111")."""
    last = page.paginator.num_pages
    keep = sorted({1, last, *range(max(1, page.number - around), min(last, page.number + around) + 1)})
    out: list[int | None] = []
    for n in keep:
        if out and n - (out[-1] or 0) > 1:
            out.append(None)
        out.append(n)
    return out
