"""People in the practice: invite by email, change a role, deactivate.

An invitation is a set-password link made with Django's password-reset
tokens, so it expires (PASSWORD_RESET_TIMEOUT) and stops working once the
password is set. Deactivating a person signs them out for good but keeps
their clients: a director moves the open episodes to a colleague here.
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from stillhere.accounts.models import Membership
from stillhere.audit.events import MemberChanged, MemberInvited, record
from stillhere.clients.models import Episode

from .access import director_required

User = get_user_model()
ROLE_CHOICES = [(r.value, r.label) for r in Membership.Role]


class InviteForm(forms.Form):
    name = forms.CharField(label="Their name", max_length=150)
    email = forms.EmailField(label="Their email address",
                             error_messages={"invalid": "That is not an email address; check for a typo."})
    role = forms.ChoiceField(label="Role", choices=ROLE_CHOICES,
                             help_text="A clinician sees their own clients; a clinical director and a practice "
                                       "admin see the whole practice and its settings; a consultant sees only "
                                       "de-identified case summaries.")

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(username__iexact=email).exists() or User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("Someone with this email address already has an account.")
        return email


def set_password_link(request, user) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return request.build_absolute_uri(reverse("password_reset_confirm", args=[uid, token]))


def days_valid() -> int:
    return max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)


def send_invitation(request, member) -> None:
    practice = member.practice
    link = set_password_link(request, member.user)
    body = (f"Hello {member.user.first_name or ''},\n\n"
            f"{request.membership.name} has invited you to join {practice.name} on stillhere as "
            f"{member.get_role_display().lower()}.\n\n"
            f"Choose your password here (the link works for {days_valid()} days, once):\n{link}\n\n"
            f"Your sign-in name is {member.user.username}.\n")
    send_mail(f"Your account at {practice.name}", body, settings.DEFAULT_FROM_EMAIL, [member.user.email])


@director_required
def people(request):
    m = request.membership
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        first, _, last = d["name"].strip().partition(" ")
        with transaction.atomic():
            user = User.objects.create_user(d["email"], d["email"], None, first_name=first[:150],
                                            last_name=last[:150])
            member = Membership.objects.create(practice=m.practice, user=user, role=d["role"],
                                               display_name=d["name"].strip()[:200])
            record(MemberInvited(practice=m.practice, actor=request.user, member=member))
        send_invitation(request, member)
        messages.success(request, f"Invitation sent to {d['email']}. The link works for {days_valid()} days.")
        return redirect("practice:people")
    members = (m.practice.members.select_related("user").order_by("user__is_active", "role", "display_name")
               .reverse())
    return render(request, "practice/people.html", {"form": form, "members": members})


class MemberForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=ROLE_CHOICES)


@director_required
def member(request, member_id):
    m = request.membership
    try:
        other = m.practice.members.select_related("user").get(pk=member_id)
    except Membership.DoesNotExist:
        raise Http404("No such person in this practice.")
    is_me = other.pk == m.pk
    open_eps = Episode.objects.filter(clinician=other, ended__isnull=True)
    colleagues = m.practice.members.filter(role=Membership.Role.CLINICIAN, user__is_active=True).exclude(
        pk=other.pk).select_related("user")
    form = MemberForm(request.POST if request.POST.get("action") == "role" else None, initial={"role": other.role})
    error = ""
    if request.method == "POST":
        action = request.POST.get("action")
        if is_me and action in ("role", "deactivate"):
            error = "You cannot change your own role or deactivate yourself; ask another director or admin."
        elif action == "role" and form.is_valid():
            new = form.cleaned_data["role"]
            if new != other.role:
                record(MemberChanged(practice=m.practice, actor=request.user, member=other,
                                     change={"role": [other.role, new]}))
                other.role = new
                other.save(update_fields=["role"])
                messages.success(request, f"{other.name} is now {other.get_role_display().lower()}.")
            return redirect("practice:member", member_id=other.pk)
        elif action in ("deactivate", "reactivate"):
            active = action == "reactivate"
            if other.user.is_active != active:
                other.user.is_active = active
                other.user.save(update_fields=["is_active"])
                record(MemberChanged(practice=m.practice, actor=request.user, member=other,
                                     change={"active": [not active, active]}))
            messages.success(request, f"{other.name} can {'' if active else 'no longer '}sign in."
                             + ("" if active or not open_eps.exists() else " Their clients stay; move them below."))
            return redirect("practice:member", member_id=other.pk)
        elif action == "move":
            try:
                to = colleagues.get(pk=request.POST.get("to"))
            except (Membership.DoesNotExist, ValueError):
                error = "Choose the colleague who takes these clients on."
            else:
                n = open_eps.update(clinician=to)
                record(MemberChanged(practice=m.practice, actor=request.user, member=other,
                                     change={"clients moved": n, "to member": to.pk}))
                messages.success(request, f"{n} client{'s' if n != 1 else ''} moved to {to.name}.")
                return redirect("practice:member", member_id=other.pk)
    return render(request, "practice/member.html", {
        "other": other, "form": form, "is_me": is_me, "open_count": open_eps.count(), "colleagues": colleagues,
        "error": error})
