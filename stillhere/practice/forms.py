"""Settings forms: each field says what it does, each error says what to change."""

import zoneinfo

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

from stillhere.outreach import tone

TIME_ZONES = sorted(z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))


def reveals_therapy(text: str) -> list[str]:
    """Words on an exposed channel (envelope, sender line, voicemail name) that say "therapy"."""
    low = " ".join(text.lower().split())
    return sorted({w for w in tone.CLINICAL + tone.DIAGNOSTIC if w in low})


def _exposed(field_label: str):
    def check(value):
        words = reveals_therapy(value or "")
        if words:
            raise forms.ValidationError(
                f"{field_label} can be seen by others (family, flatmates, the post), so it must not say "
                f"“{words[0]}”. Use the practice's plain name, e.g. “Riverside Practice”.")
    return check


class PracticeForm(forms.Form):
    name = forms.CharField(label="Practice name", max_length=200,
                           help_text="Shown to your team on every page, and the practice's name in messages.")
    sender_name = forms.CharField(
        label="Name clients' households see", max_length=100, required=False,
        validators=[_exposed("The sender name")],
        help_text="The name on a text, a voicemail, an email's From line and an envelope. "
                  "Empty: the clinician's own name.")
    return_address = forms.CharField(
        label="Return address on letters", required=False, widget=forms.Textarea(attrs={"rows": 4}),
        validators=[_exposed("The return address")],
        help_text="Printed above the client's address in the envelope window. One line per line of the address.")
    practice_phone = forms.CharField(label="Practice phone number", max_length=40, required=False,
                                     help_text="Printed on letters and on the client's response page.")
    how_to_reach = forms.CharField(label="How clients can reach you", max_length=200, required=False,
                                   help_text="A short line every message ends with, e.g. “call or text 01632 960 000”.")
    timezone = forms.ChoiceField(label="Time zone", choices=[(z, z.replace("_", " ")) for z in TIME_ZONES],
                                 help_text="Times on these pages, quiet hours and imported local times use it.")
    public_url = forms.URLField(label="Public web address", required=False, assume_scheme="https",
                                help_text="Where clients reach this server. Every link in a message starts with it, "
                                          "e.g. https://care.riverside.example")
    booking_url = forms.URLField(label="Online booking page", required=False, assume_scheme="https",
                                 help_text="If you have one: messages offer it as a way to book.")
    crisis_line = forms.CharField(
        label="Crisis line", max_length=300, required=False,
        help_text="Carried by every safety call script and message, e.g. “If you are in danger now, call 999, "
                  "or 111 for urgent help.”")
    require_two_step = forms.BooleanField(
        label="Everyone signs in with a second step", required=False,
        help_text="After the password, a code from an authenticator app on their phone. Directors and admins "
                  "always use it; tick this to ask it of clinicians and consultants too.")


class EngagementForm(forms.Form):
    waiting_days = forms.IntegerField(
        label="Waiting period after a missed session (days)", min_value=1, max_value=7,
        help_text="Days the client has to get in touch first, before stillhere suggests reaching out. "
                  "1 to 7; 3 is usual. A client with a safety concern never waits.")
    lapse_factor = forms.FloatField(
        label="Gone quiet after (times the client's usual gap)", min_value=1.2, max_value=6.0,
        help_text="With nothing booked, a client is “gone quiet” once the time since their last session is this "
                  "many times their usual gap between sessions (never under 3 weeks). 1.2 to 6; 2 is usual.")
    outcome_days = forms.IntegerField(
        label="Days to wait for a session's outcome to be recorded", min_value=1, max_value=30, required=False,
        help_text="A past session still marked scheduled is asked about in the inbox and counts as neither "
                  "attended nor missed for this many days (no outreach starts); after that it counts as usual. "
                  "1 to 30; 7 is usual.")
    long_silence_days = forms.IntegerField(
        label="A new episode after a silence of (days)", min_value=30, max_value=1000, required=False,
        help_text="When an imported record has no episode ids, a session this many days after the client's last "
                  "one, with nothing booked in between, starts a new episode, and the earlier one is counted as "
                  "ended without goodbye on the day of that last session. 30 to 1000; 120 is usual.")
    age_in_noshow_risk = forms.BooleanField(
        label="Let a client's age count in the chance of a missed session", required=False,
        help_text="Off unless you turn it on. Younger adults miss more sessions on average and older clients "
                  "fewer; with this on, the birth date you hold moves the estimate a little. Age never "
                  "enters the chance of leaving without goodbye.")


class OutreachSettingsForm(forms.Form):
    quiet_start = forms.TimeField(label="Quiet hours start", widget=forms.TimeInput(attrs={"type": "time"}),
                                  help_text="Nothing is sent from this time…")
    quiet_end = forms.TimeField(label="Quiet hours end", widget=forms.TimeInput(attrs={"type": "time"}),
                                help_text="…until this time the next morning (the practice's time zone).")
    min_gap_hours = forms.IntegerField(label="Hours between two contacts with one client", min_value=1,
                                       max_value=336,
                                       help_text="A second message waits at least this long after the first.")
    daily_cap = forms.IntegerField(label="Most messages sent in a day", min_value=1, max_value=100000,
                                   help_text="A safety limit for the whole practice; the rest wait for tomorrow.")
    link_days = forms.IntegerField(label="Days a client's personal link works", min_value=1, max_value=365)
    safety_escalate_at = forms.TimeField(
        label="Safety check goes to the director at", widget=forms.TimeInput(attrs={"type": "time"}),
        help_text="A same-day safety check nobody has marked “spoke with the client” by this time "
                  "appears in the director's and admins' list.")
    safety_escalate_email = forms.BooleanField(
        label="Also email the director and admins (a link only, no client details)", required=False)

    def clean(self):
        data = super().clean()
        if data.get("quiet_start") and data.get("quiet_start") == data.get("quiet_end"):
            self.add_error("quiet_end", "Quiet hours need an end different from their start.")
        return data


class MeasuresForm(forms.Form):
    every_sessions = forms.IntegerField(
        label="Check in every (sessions)", min_value=1, max_value=52,
        help_text="Sessions without a session rating or a check-in conversation before a reminder appears.")
    alliance_drop = forms.FloatField(
        label="Session rating drop that raises an alert (points)", min_value=0.5, max_value=40,
        help_text="A fall of this much from the last session's SRS is worth talking about. The default, 3, is the "
                  "reliable change used for the SRS (see the table below): a smaller fall may be noise.")
    alliance_baseline_drop = forms.FloatField(
        label="Drop below the client's first ratings (points)", min_value=0.5, max_value=40,
        validators=[MinValueValidator(0.5), MaxValueValidator(40)],
        help_text="A slide this far under the average of the first few ratings raises an alert too.")
    baseline_ratings = forms.IntegerField(label="How many first ratings make that average", min_value=1,
                                          max_value=12)
    not_on_track_after = forms.IntegerField(
        label="“Not on track” after (ratings without reliable change)", min_value=2, max_value=52)
    plateau_ratings = forms.IntegerField(label="“Plateau” after (ratings that barely move)", min_value=2,
                                         max_value=52)


# --- the outreach plan: an ordered list of steps ---------------------------

KINDS = (("call", "Phone call"), ("message", "Message"), ("letter", "Letter"),
         ("closing", "Closing message (ends the episode, door open)"))
CHANNEL_CHOICES = (("", "—"), ("call", "Phone call"), ("email", "Email"), ("sms", "Text message"),
                   ("letter", "Letter"))
TEMPLATE_CHOICES = (("first_call", "First call"), ("checking_in", "Checking in"),
                    ("invitation", "Invitation to a last session"), ("closing", "Closing, door open"))


class StepForm(forms.Form):
    kind = forms.ChoiceField(label="What", choices=KINDS)
    days = forms.IntegerField(label="Days after the start", min_value=0, max_value=365)
    first = forms.ChoiceField(label="By", choices=CHANNEL_CHOICES[1:])
    second = forms.ChoiceField(label="Or else", choices=CHANNEL_CHOICES, required=False)
    third = forms.ChoiceField(label="Or else", choices=CHANNEL_CHOICES, required=False)
    template = forms.ChoiceField(label="Wording", choices=TEMPLATE_CHOICES)
    auto = forms.BooleanField(label="Send without asking", required=False)
    remove = forms.BooleanField(label="Remove", required=False)

    def has_changed(self):
        """The blank row for a new contact counts as filled in only once it has
        a day: its menus always send their first choice."""
        if not self.initial:
            return bool(str(self.data.get(self.add_prefix("days"), "")).strip())
        return super().has_changed()

    def channels(self) -> list[str]:
        out = []
        for name in ("first", "second", "third"):
            c = self.cleaned_data.get(name)
            if c and c not in out:
                out.append(c)
        return out


class BaseStepFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        kept = [f for f in self.forms if f.has_changed() or f.initial]
        kept = [f for f in kept if f.cleaned_data and not f.cleaned_data.get("remove")]
        if not kept:
            raise forms.ValidationError("A plan needs at least one step.")
        closings = [f for f in kept if f.cleaned_data["kind"] == "closing"]
        if len(closings) > 1:
            raise forms.ValidationError("A plan can have only one closing message.")
        if closings and closings[0].cleaned_data["days"] < max(f.cleaned_data["days"] for f in kept):
            raise forms.ValidationError("The closing message must be the last step: no step can come after it.")


StepFormSet = forms.formset_factory(StepForm, formset=BaseStepFormSet, extra=1, max_num=12, absolute_max=12)
