"""Request and response guards that hold for every page.

- A NUL character in a form or an address is refused with a page in words:
  PostgreSQL cannot store one (it answered such forms with a 500), and no
  person types one on purpose.
- Every page is sent with `Cache-Control: no-store`: nearly every page shows
  client data, and a shared computer's browser cache or a proxy must keep
  none of it. Static files (served by WhiteNoise before this runs) keep
  their own long cache headers.
"""

from django.shortcuts import render


def _has_nul(query_dict) -> bool:
    for key, values in query_dict.lists():
        if "\x00" in key or any("\x00" in v for v in values):
            return True
    return False


class RefuseNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or _has_nul(request.GET) or (
                request.method == "POST" and request.content_type in (
                    "application/x-www-form-urlencoded", "multipart/form-data") and _has_nul(request.POST)):
            if request.path.startswith("/api/"):
                # An API client gets the API's own JSON error, as its schema says.
                from stillhere.api.errors import error_response

                return error_response(400, "invalid_character",
                                      "The request holds a NUL character, which no field may contain.")
            return render(request, "security/nul.html", status=400)
        return self.get_response(request)


class NoStoreMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response["Cache-Control"] = "no-store"
        response.setdefault("Pragma", "no-cache")
        return response
