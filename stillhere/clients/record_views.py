"""The client's record for a director or admin: download it all, or erase it.

Thin over stillhere/clients/export.py and erase.py. Erasing asks the person
to type the client's id in the practice's own system, or their full name,
so it cannot be done by a slip of the mouse.
"""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from stillhere.accounts.decorators import member_required
from stillhere.accounts.permissions import get_client_or_404
from stillhere.audit.events import ClientViewed, record

from .erase import erase_client
from .export import export_client, file_name


def _admin_client(request, code):
    m = request.membership
    if not m.sees_whole_practice:
        raise Http404("No such page.")
    return get_client_or_404(m, code)


def confirms(client, typed: str) -> bool:
    typed = " ".join(typed.split()).casefold()
    names = {client.external_id.casefold(), f"{client.first_name} {client.last_name}".strip().casefold(),
             client.display_name.casefold()}
    return bool(typed) and typed in names


@member_required
def record_page(request, code):
    client = _admin_client(request, code)
    record(ClientViewed(practice=client.practice, actor=request.user, client=client))
    return render(request, "clients/record.html", {"client": client})


@member_required
@require_POST
def record_export(request, code):
    client = _admin_client(request, code)
    archive, data, _ = export_client(client, request.user, where="web",
                                     include_reflections=request.POST.get("with_reflections") == "on")
    resp = HttpResponse(data, content_type="application/zip")
    resp["Content-Disposition"] = f'attachment; filename="{file_name(client)}"'
    return resp


@member_required
@require_POST
def record_erase(request, code):
    client = _admin_client(request, code)
    if not confirms(client, request.POST.get("confirm", "")):
        record(ClientViewed(practice=client.practice, actor=request.user, client=client))
        return render(request, "clients/record.html", {
            "client": client, "erase_error": "What you typed is not this client's id or full name, so nothing "
                                             "was erased."}, status=400)
    erasure = erase_client(client, request.user, where="web")
    messages.success(request, f"The client was erased ({erasure.summary()}). The audit trail keeps its rows "
                              "about them under a pseudonym.")
    return redirect("clients:list")
