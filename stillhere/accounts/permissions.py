"""Who may see which clients.

Every view and API endpoint reaches client data through these functions, so
the rule lives in one place:

- a clinician sees clients with at least one episode they hold;
- a director or admin sees every client of the practice;
- a consultant sees no identifiable client (de-identified summaries only);
- nobody sees anything of another practice.

A client outside the member's view is a 404, not a 403: whether a client
exists is itself private.
"""

from django.http import Http404

from stillhere.clients.models import Client, Episode

from .models import Membership


def visible_clients(membership: Membership):
    qs = Client.objects.filter(practice_id=membership.practice_id)
    if membership.sees_whole_practice:
        return qs
    if membership.role == Membership.Role.CLINICIAN:
        return qs.filter(id__in=Episode.objects.filter(clinician=membership).values("client_id"))
    return qs.none()


def visible_episodes(membership: Membership):
    qs = Episode.objects.filter(practice_id=membership.practice_id)
    if membership.sees_whole_practice:
        return qs
    if membership.role == Membership.Role.CLINICIAN:
        return qs.filter(clinician=membership)
    return qs.none()


def get_client_or_404(membership: Membership, code) -> Client:
    try:
        client = visible_clients(membership).get(code=code)
    except (Client.DoesNotExist, ValueError):
        raise Http404("No such client.")
    client.practice = membership.practice  # the same practice (filtered on it): no query to read it again
    # Which member this object was fetched for, through this function: a
    # part of the same page (the measures section) may use it as it is
    # instead of fetching it again (measures_tags.py).
    client.checked_for = (membership.pk, membership.role)
    return client
