"""/consultation: the de-identified summaries shared for peer consultation.

What a consultant's token is for: a consultant reads every summary the
practice's clinicians checked and shared, and nothing else; a clinician
reads the ones they wrote. A summary holds no name, place, contact detail
or real date (reflection/deidentify.py), and each read is audited as on
the web page.
"""

from datetime import datetime

from django.http import Http404
from ninja import Field as F
from ninja import Query, Router, Schema

from stillhere.audit.events import ConsultationViewed, record
from stillhere.reflection.views import _readable_summaries

from . import cursor
from .cursor import MAX_LIMIT
from .errors import COMMON

router = Router(tags=["consultation"])


class SummaryOut(Schema):
    id: int
    shared: datetime = F(description="When its author shared it.")
    text: str = F(description="The de-identified summary, as its author checked it.")


class SummaryPage(Schema):
    items: list[SummaryOut]
    next_cursor: str | None


class PageQuery(Schema):
    cursor: str | None = None
    limit: int = F(20, ge=1, le=MAX_LIMIT)


def _out(s) -> dict:
    return {"id": s.pk, "shared": s.created, "text": s.text}


@router.get("/consultation", response={200: SummaryPage, **COMMON},
            summary="De-identified summaries shared for consultation, newest first")
def list_summaries(request, page: Query[PageQuery]):
    m = request.membership
    qs = _readable_summaries(m).order_by("-id")
    after = cursor.decode(page.cursor, 1)
    if after:
        qs = qs.filter(id__lt=after[0])
    rows = list(qs[:page.limit + 1])
    more, rows = len(rows) > page.limit, rows[:page.limit]
    for s in rows:   # each summary read is on the trail, as when it is opened on the web
        record(ConsultationViewed(practice=m.practice, actor=request.user, summary=s))
    return {"items": [_out(s) for s in rows], "next_cursor": cursor.encode(rows[-1].pk) if more else None}


@router.get("/consultation/{summary_id}", response={200: SummaryOut, **COMMON}, summary="One shared summary")
def get_summary(request, summary_id: int):
    m = request.membership
    s = _readable_summaries(m).filter(pk=summary_id).first()
    if s is None:
        raise Http404("No such summary.")
    record(ConsultationViewed(practice=m.practice, actor=request.user, summary=s))
    return _out(s)
