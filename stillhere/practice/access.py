"""Who may change how the practice runs: directors and admins only."""

from functools import wraps

from django.shortcuts import render

from stillhere.accounts.decorators import member_required


def director_required(view):
    """A member who sees the whole practice; anyone else gets the plain-word 403 page."""

    @member_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.membership.sees_whole_practice:
            return render(request, "403.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper
