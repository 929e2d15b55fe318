from django.contrib import admin

from .models import Membership, Practice


@admin.register(Practice)
class PracticeAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "timezone", "morning_scan_at")


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "practice", "role")
    list_filter = ("role", "practice")
