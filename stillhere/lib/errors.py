"""Error pages people can act on.

Django's own CSRF failure page speaks to developers ("CSRF verification
failed. Request aborted."); a clinician or a client needs to know that
nothing was saved and what to do. A page a client reached from a link
(the response page) gets the plain public look, with no staff navigation.
"""

from django.shortcuts import render

PUBLIC_PREFIXES = ("/r/", "/s/")


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: the reason stays out of the page (and out of logs
    we write); Django logs it as a warning with the path."""
    if request.path.startswith(PUBLIC_PREFIXES):
        return render(request, "outreach/response_error.html", {
            "message": "Your answer did not go through, and nothing was saved. Please go back, reload the "
                       "page and send it again.", "contact": _contact(request.path)}, status=403)
    return render(request, "403_csrf.html", status=403)


def _contact(path: str):
    """How to reach the practice whose link this was, if we can tell."""
    from stillhere.outreach import public, responses

    practice = None
    parts = path.strip("/").split("/")
    if len(parts) == 2 and parts[0] == "r":
        try:
            practice = responses.read_token(parts[1]).practice
        except responses.BadToken as e:
            practice = e.practice
    return public.contact_for(practice)
