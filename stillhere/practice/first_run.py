"""First run: on an empty database, the person installing stillhere creates
the practice and their own director account from the web. The page exists
only while there is no practice at all; after that it is a 404, so nobody
can use it to add themselves to a running practice."""

from django import forms
from django.contrib.auth import get_user_model, login, password_validation
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.text import slugify

from stillhere.accounts.models import Membership, Practice
from stillhere.audit.events import SettingsChanged, record

from .forms import TIME_ZONES


def is_empty() -> bool:
    return not Practice.objects.exists() and not get_user_model().objects.exists()


class FirstRunForm(forms.Form):
    practice = forms.CharField(label="Practice name", max_length=200)
    timezone = forms.ChoiceField(label="Time zone", choices=[(z, z.replace("_", " ")) for z in TIME_ZONES],
                                 initial="Europe/London")
    name = forms.CharField(label="Your name", max_length=150)
    email = forms.EmailField(label="Your email address (you sign in with it)",
                             error_messages={"invalid": "That is not an email address; check for a typo."})
    password = forms.CharField(label="Choose a password (at least 10 characters)", widget=forms.PasswordInput)

    def clean_password(self):
        password_validation.validate_password(self.cleaned_data["password"])
        return self.cleaned_data["password"]


def first_run(request):
    if not is_empty():
        raise Http404("This practice is already set up.")
    form = FirstRunForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        with transaction.atomic():
            if not is_empty():
                raise Http404("This practice is already set up.")
            practice = Practice.objects.create(name=d["practice"], slug=slugify(d["practice"])[:50] or "practice",
                                               timezone=d["timezone"])
            first, _, last = d["name"].strip().partition(" ")
            email = d["email"].lower()
            user = get_user_model().objects.create_user(email, email, d["password"], first_name=first[:150],
                                                        last_name=last[:150])
            Membership.objects.create(practice=practice, user=user, role=Membership.Role.DIRECTOR,
                                      display_name=d["name"].strip()[:200])
            record(SettingsChanged(practice=practice, actor=user, section="first-run",
                                   changes={"practice": [None, practice.name]}))
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("practice:settings")
    return render(request, "practice/first_run.html", {"form": form})
