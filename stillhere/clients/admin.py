from django.contrib import admin

from .models import Appointment, Client, Episode, SessionMarker


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ("external_id", "practice")
    search_fields = ("external_id",)


admin.site.register(Episode)
admin.site.register(Appointment)
admin.site.register(SessionMarker)
