"""Forms for typing in a client, a session, an outcome or a break by hand."""

from datetime import datetime

from django import forms

from stillhere.accounts.models import Membership

from .entry import OUTCOMES
from .models import STYLE_FLAGS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class ClientForm(forms.Form):
    first_name = forms.CharField(label="First name", max_length=100)
    last_name = forms.CharField(label="Last name", max_length=100, required=False)
    preferred_name = forms.CharField(label="Name they like to be called", max_length=100, required=False,
                                     help_text="Used in messages and on these pages when given.")
    pronouns = forms.CharField(label="Pronouns", max_length=40, required=False)
    birth_date = forms.DateField(label="Date of birth", required=False, widget=DATE)
    external_id = forms.CharField(label="Record number in your other system", max_length=100, required=False,
                                  help_text="Optional. Lets a later import match this client instead of adding them twice.")
    clinician = forms.ModelChoiceField(label="Clinician", queryset=Membership.objects.none(), empty_label=None)
    email = forms.EmailField(label="Email", required=False,
                             error_messages={"invalid": "That is not an email address; check for a typo."})
    consent_email = forms.BooleanField(label="Agreed to email", required=False)
    phone = forms.CharField(label="Mobile or phone", max_length=40, required=False)
    consent_sms = forms.BooleanField(label="Agreed to text messages", required=False)
    consent_voicemail = forms.BooleanField(label="Agreed to calls and voicemail", required=False)
    address_line1 = forms.CharField(label="Address", max_length=200, required=False)
    address_line2 = forms.CharField(label="Address, second line", max_length=200, required=False)
    city = forms.CharField(label="Town or city", max_length=100, required=False)
    region = forms.CharField(label="County or state", max_length=100, required=False)
    postal_code = forms.CharField(label="Postcode", max_length=20, required=False)
    country = forms.CharField(label="Country (two letters, e.g. GB)", max_length=2, required=False)
    consent_letter = forms.BooleanField(label="Agreed to letters", required=False)
    do_not_contact = forms.BooleanField(label="Do not contact at all", required=False,
                                        help_text="No outreach on any channel, whatever else is ticked.")
    safety_concern = forms.BooleanField(
        label="Current safety concern", required=False,
        help_text="A missed session then starts a same-day safety check, never a waiting period.")
    safety_since = forms.DateField(label="Concern since", required=False, widget=DATE)
    safety_note = forms.CharField(label="Safety note", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    style_flags = forms.MultipleChoiceField(label="Noted style", choices=STYLE_FLAGS, required=False,
                                            widget=forms.CheckboxSelectMultiple,
                                            help_text="Shapes the risk reasons and the tone of outreach.")
    emergency_name = forms.CharField(label="Emergency contact: name", max_length=200, required=False)
    emergency_relationship = forms.CharField(label="Emergency contact: who they are", max_length=100,
                                             required=False)
    emergency_phone = forms.CharField(label="Emergency contact: phone", max_length=40, required=False)
    emergency_consent = forms.BooleanField(
        label="The client agreed this person may be called if we fear for their safety", required=False)

    def __init__(self, *args, membership=None, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        qs = membership.practice.members.filter(role=Membership.Role.CLINICIAN, user__is_active=True)
        if not membership.sees_whole_practice:
            qs = qs.filter(pk=membership.pk)
        self.fields["clinician"].queryset = qs.select_related("user")
        if editing:
            del self.fields["clinician"]
            del self.fields["external_id"]

    def clean_country(self):
        c = self.cleaned_data["country"].strip().upper()
        if c and not (len(c) == 2 and c.isalpha()):
            raise forms.ValidationError("Use the two-letter country code, e.g. GB or US.")
        return c

    def clean(self):
        d = super().clean()
        for consent, need, what in (("consent_email", "email", "an email address"),
                                    ("consent_sms", "phone", "a phone number"),
                                    ("consent_voicemail", "phone", "a phone number"),
                                    ("consent_letter", "address_line1", "an address")):
            if d.get(consent) and not d.get(need):
                self.add_error(need, f"Add {what}, or untick “{self.fields[consent].label}”.")
        if d.get("emergency_consent") and not d.get("emergency_phone"):
            self.add_error("emergency_phone", "Add the emergency contact's phone number.")
        return d


class BookForm(forms.Form):
    day = forms.DateField(label="Day", widget=DATE)
    at = forms.TimeField(label="Time", widget=TIME)
    duration_min = forms.IntegerField(label="Length (minutes)", min_value=10, max_value=240, initial=50)

    def start(self, tz) -> datetime:
        return datetime.combine(self.cleaned_data["day"], self.cleaned_data["at"], tz)


class MoveForm(forms.Form):
    day = forms.DateField(label="New day", widget=DATE)
    at = forms.TimeField(label="New time", widget=TIME)

    def start(self, tz) -> datetime:
        return datetime.combine(self.cleaned_data["day"], self.cleaned_data["at"], tz)


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label="What happened", choices=list(OUTCOMES.items()), widget=forms.RadioSelect)
    minutes_late = forms.IntegerField(label="Minutes late (if they came late)", min_value=0, max_value=240,
                                      required=False)


class BreakForm(forms.Form):
    starts = forms.DateField(label="From", widget=DATE)
    ends = forms.DateField(label="Until", widget=DATE)
    reason = forms.CharField(label="Why (for you and colleagues)", max_length=200, required=False,
                             help_text="e.g. “travelling for work”, “hospital stay”.")


class EndingForm(forms.Form):
    reason = forms.ChoiceField(label="How did it end?", widget=forms.RadioSelect)
    ended_on = forms.DateField(label="On which day", widget=DATE,
                               help_text="Usually the last session. Not a day still to come.")
    note = forms.CharField(label="A note for the record (optional)", max_length=2000, required=False,
                           widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from .endings import CHOICES

        self.fields["reason"].choices = [(k, label) for k, (label, _, _) in CHOICES.items()]
        self.hints = {k: hint for k, (_, hint, _) in CHOICES.items()}
