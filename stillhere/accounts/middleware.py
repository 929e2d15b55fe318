from django.utils.functional import SimpleLazyObject


def _membership(request):
    if not request.user.is_authenticated:
        return None
    read = getattr(request, "_memberships", None)  # the second step's check may have read them already
    if read is not None:
        return min(read, key=lambda m: m.pk, default=None)
    return request.user.memberships.select_related("practice").order_by("id").first()


class MembershipMiddleware:
    """Attach the signed-in user's membership (practice + role) to the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = SimpleLazyObject(lambda: _membership(request))
        return self.get_response(request)
