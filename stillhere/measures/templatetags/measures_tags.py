"""`{% measures_panel client %}`: the measures section of the client page.

The client page's view has already fetched the client through the
permission functions; the panel uses that object only when it was fetched
that way for this very member (get_client_or_404 marks it), and otherwise
fetches it again the same way, so this tag can never show scores the member
may not see.
"""

from django import template

from stillhere.accounts.permissions import get_client_or_404
from stillhere.audit.events import MeasuresViewed, record
from stillhere.measures.panel import panel_context

register = template.Library()


@register.inclusion_tag("measures/panel.html", takes_context=True)
def measures_panel(context, client):
    request = context["request"]
    m = request.membership
    if getattr(client, "checked_for", None) != (m.pk, m.role):
        client = get_client_or_404(m, client.code)
    ctx = panel_context(request.membership, client)
    record(MeasuresViewed(practice=client.practice, actor=request.user, client=client, count=ctx["result_count"]))
    ctx["csrf_token"] = context.get("csrf_token")
    ctx["request"] = request
    return ctx
