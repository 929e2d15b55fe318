from django import forms

from .models import Reflection

MAX_TEXT = 10000


class ReflectionForm(forms.ModelForm):
    class Meta:
        model = Reflection
        fields = ["last_sessions", "safety", "safety_note", "ruptures", "rupture_named", "progress",
                  "progress_note", "other_fit", "other_fit_note", "differently"]
        widgets = {f: forms.Textarea(attrs={"rows": 4, "maxlength": MAX_TEXT})
                   for f in ["last_sessions", "safety_note", "ruptures", "progress_note", "other_fit_note",
                             "differently"]}
        widgets |= {f: forms.RadioSelect for f in ["safety", "rupture_named", "progress", "other_fit"]}
        labels = {
            "last_sessions": "What happened in the last sessions, as you remember them?",
            "safety": "Did they seem to feel emotionally safe with you?",
            "safety_note": "What makes you think so?",
            "ruptures": "Were there moments of strain or rupture between you?",
            "rupture_named": "Was the rupture named between you?",
            "progress": "Did they feel they were making progress, and that the work was worth it?",
            "progress_note": "What did they say or show?",
            "other_fit": "Would another approach or a referral have fitted better?",
            "other_fit_note": "Which, and why?",
            "differently": "What would you do differently next time?",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ["safety", "rupture_named", "progress", "other_fit"]:
            self.fields[name].choices = [c for c in self.fields[name].choices if c[0]]
            self.fields[name].required = False

    def clean(self):
        data = super().clean()
        for name, value in data.items():
            if isinstance(value, str) and len(value) > MAX_TEXT:
                self.add_error(name, f"Please keep this under {MAX_TEXT:,} characters.")
        return data
