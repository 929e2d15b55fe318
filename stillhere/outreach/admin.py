from django.contrib import admin

from .models import CadencePolicy, MessageTemplate, OutreachSettings, PrintBatch


@admin.register(OutreachSettings)
class OutreachSettingsAdmin(admin.ModelAdmin):
    list_display = ("practice", "quiet_start", "quiet_end", "daily_cap", "link_days")


@admin.register(CadencePolicy)
class CadencePolicyAdmin(admin.ModelAdmin):
    list_display = ("practice", "clinician", "client", "updated")
    raw_id_fields = ("clinician", "client")


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ("practice", "key", "channel", "updated")


@admin.register(PrintBatch)
class PrintBatchAdmin(admin.ModelAdmin):
    list_display = ("practice", "status", "created", "posted")
    readonly_fields = ("practice", "created", "posted", "posted_by")
