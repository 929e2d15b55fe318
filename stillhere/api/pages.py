"""The API tokens settings page: a member's own tokens, and for an admin
the practice's service tokens for integrations.

A new token's secret is shown once, on the page right after the one that
made it, and never again: only its digest is stored. The page is not
cached anywhere.
"""

import secrets
from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from stillhere.accounts.decorators import member_required
from stillhere.accounts.models import Membership
from stillhere.audit.events import ApiTokenCreated, ApiTokenRevoked, record

from .models import ApiToken

SHOW_ONCE = "api_token_to_show_once"
EXPIRY = [("", "Never"), ("30", "In 30 days"), ("90", "In 90 days"), ("365", "In a year")]


class TokenForm(forms.Form):
    name = forms.CharField(label="What is it for?", max_length=100,
                           help_text="A name you will recognise, e.g. “Weekly sync script”.")
    expires = forms.ChoiceField(label="Stops working", choices=EXPIRY, required=False)


class ServiceTokenForm(TokenForm):
    role = forms.ChoiceField(label="Acts with the role of", choices=[
        (Membership.Role.DIRECTOR, "Clinical director (sees the whole practice, decides on outreach)"),
        (Membership.Role.ADMIN, "Practice admin (sees the whole practice, imports, webhooks)"),
        (Membership.Role.CONSULTANT, "Consultant (nothing that identifies a client)"),
    ])


def _expires(form):
    days = form.cleaned_data.get("expires")
    return timezone.now() + timedelta(days=int(days)) if days else None


def _service_member(m, name: str, role: str) -> Membership:
    """A member without a password who can only ever sign in with its token."""
    User = get_user_model()
    user = User.objects.create_user(f"service-{m.practice.slug}-{secrets.token_hex(4)}"[:150], "",
                                    None, first_name=name[:150])
    user.set_unusable_password()
    user.save(update_fields=["password"])
    return Membership.objects.create(practice=m.practice, user=user, role=role,
                                     display_name=f"{name} (integration)"[:200])


@never_cache
@member_required
def tokens(request):
    m = request.membership
    is_admin = m.role == Membership.Role.ADMIN
    form, service_form, new_secret = TokenForm(prefix="p"), ServiceTokenForm(prefix="s"), None
    if request.method == "POST":
        kind = request.POST.get("kind")
        if kind == "service" and not is_admin:
            raise Http404
        f = ServiceTokenForm(request.POST, prefix="s") if kind == "service" else TokenForm(request.POST, prefix="p")
        if f.is_valid():
            with transaction.atomic():
                if kind == "service":
                    owner = _service_member(m, f.cleaned_data["name"], f.cleaned_data["role"])
                    token, new_secret = ApiToken.issue(owner, f.cleaned_data["name"], kind=ApiToken.Kind.SERVICE,
                                                       expires=_expires(f), created_by=request.user)
                else:
                    token, new_secret = ApiToken.issue(m, f.cleaned_data["name"], expires=_expires(f),
                                                       created_by=request.user)
                record(ApiTokenCreated(practice=m.practice, actor=request.user, token=token))
            # Shown on the next page and dropped from the session there, so a
            # reload neither shows it again nor makes a second token.
            request.session[SHOW_ONCE] = new_secret
            return redirect("api_tokens")
        elif kind == "service":
            service_form = f
        else:
            form = f
    else:
        new_secret = request.session.pop(SHOW_ONCE, None)
    mine = ApiToken.objects.filter(membership=m, kind=ApiToken.Kind.PERSONAL)
    service = (ApiToken.objects.filter(membership__practice=m.practice, kind=ApiToken.Kind.SERVICE)
               .select_related("membership") if is_admin else [])
    return render(request, "api/tokens.html", {
        "form": form, "service_form": service_form, "new_secret": new_secret, "mine": mine, "service": service,
        "is_admin": is_admin, "now": timezone.now(), "tz": m.practice.timezone,
        "api_base": request.build_absolute_uri("/api/v1/")})


@require_POST
@member_required
def revoke(request, token_id: int):
    m = request.membership
    qs = ApiToken.objects.filter(pk=token_id)
    if m.role == Membership.Role.ADMIN:
        qs = qs.filter(membership=m) | qs.filter(membership__practice=m.practice, kind=ApiToken.Kind.SERVICE)
    else:
        qs = qs.filter(membership=m)
    token = qs.first()
    if token is None:
        raise Http404("No such token.")
    if ApiToken.objects.filter(pk=token.pk, revoked=None).update(revoked=timezone.now()):
        record(ApiTokenRevoked(practice=m.practice, actor=request.user, token=token))
        messages.success(request, f"“{token.name}” is revoked: it stopped working just now.")
    return redirect("api_tokens")
