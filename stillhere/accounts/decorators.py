from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import HttpResponseForbidden


def member_required(view):
    """Signed in *and* a member of a practice; the membership scopes everything."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.membership:
            return HttpResponseForbidden("Your account is not a member of any practice.")
        return view(request, *args, **kwargs)

    return wrapper
