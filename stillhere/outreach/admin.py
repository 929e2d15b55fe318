from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils import timezone

from stillhere.clients.admin import ClientDataAdmin

from .models import CadencePolicy, MessageTemplate, OutreachSettings, PrintBatch, ShortLink


class OutreachSettingsForm(forms.ModelForm):
    def clean_sender_name(self):
        from .exposed import reveals_therapy

        name = self.cleaned_data.get("sender_name", "").strip()
        if words := reveals_therapy(name):
            raise ValidationError(f"The sender name is seen by clients' families and flatmates, so it must not "
                                  f"say “{words[0]}”. Choose a neutral name, e.g. the street or the town.")
        return name


@admin.register(OutreachSettings)
class OutreachSettingsAdmin(admin.ModelAdmin):
    """Issue 15 builds the practice's own settings pages; until then the
    exposed-channel and safety settings are edited here."""

    form = OutreachSettingsForm
    list_display = ("practice", "sender_name", "public_url", "safety_escalate_at", "link_days")
    fieldsets = (
        ("What strangers see", {"fields": ("sender_name", "return_address", "practice_phone", "how_to_reach")}),
        ("Links", {"fields": ("public_url", "booking_url", "link_days")}),
        ("Safety", {"fields": ("crisis_line", "safety_escalate_at", "safety_escalate_email")}),
        ("Pacing", {"fields": ("quiet_start", "quiet_end", "daily_cap", "min_gap_hours", "auto_send")}),
    )


@admin.register(ShortLink)
class ShortLinkAdmin(ClientDataAdmin):
    """Short links can be revoked here (a link sent to the wrong address, say)."""

    list_display = ("code", "practice", "created", "revoked")
    readonly_fields = ("code", "step", "practice", "client", "created")
    actions = ["revoke"]

    @admin.action(description="Revoke the selected links")
    def revoke(self, request, queryset):
        n = queryset.filter(revoked=None).update(revoked=timezone.now())
        self.message_user(request, f"{n} link(s) revoked; they now show a page saying how to reach the practice.")


@admin.register(CadencePolicy)
class CadencePolicyAdmin(ClientDataAdmin):
    list_display = ("practice", "clinician", "client", "updated")
    raw_id_fields = ("clinician", "client")


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ("practice", "key", "channel", "updated")


@admin.register(PrintBatch)
class PrintBatchAdmin(admin.ModelAdmin):
    list_display = ("practice", "status", "created", "posted")
    readonly_fields = ("practice", "created", "posted", "posted_by")
