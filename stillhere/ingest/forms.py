from django import forms

from .mapping import preset_names

PRESET_LABELS = {"simplepractice": "SimplePractice", "therapynotes": "TherapyNotes", "openemr": "OpenEMR"}


class CsvUploadForm(forms.Form):
    appointments = forms.FileField(label="Appointments (CSV)")
    clients = forms.FileField(label="Clients (CSV, optional)", required=False)
    measures = forms.FileField(label="Measures (CSV, optional)", required=False)
    preset = forms.ChoiceField(label="Exported from", required=False,
                               choices=[("", "stillhere's generic CSV")]
                               + [(p, PRESET_LABELS.get(p, p)) for p in preset_names()])
    mapping = forms.FileField(label="Mapping file (TOML, optional: for any other export)", required=False)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        return [single(d, initial) for d in data] if isinstance(data, (list, tuple)) else [single(data, initial)]


class FhirUploadForm(forms.Form):
    files = MultipleFileField(label="FHIR R4 files (Bundle .json or bulk .ndjson, one or several)")


class IcsUploadForm(forms.Form):
    calendar = forms.FileField(label="Calendar file (.ics)")
    clinician = forms.ChoiceField(label="Whose calendar is it?")
    client_from = forms.ChoiceField(label="Where is the client named?", choices=[
        ("attendee", "The invited guest (else the event title)"),
        ("summary", "The event title"), ("description", "The event description")])
    pattern = forms.CharField(label="Pattern (optional, a regular expression with (?P<name>…) or (?P<id>…))",
                              required=False, max_length=200)

    def __init__(self, *args, clinicians=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clinician"].choices = list(clinicians)
