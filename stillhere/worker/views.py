from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .health import report


@require_GET
@never_cache
def healthz(request):
    """For monitoring: no sign-in, and nothing about any client (health.py)."""
    status, body = report()
    return JsonResponse(body, status=status)
