from django.contrib import admin

from .models import Membership, Practice


@admin.register(Practice)
class PracticeAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "timezone", "morning_scan_at")


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "practice", "role")
    list_filter = ("role", "practice")


def register_unlock() -> None:
    """django-axes' "Access attempts" page, plus an action that lifts a
    lockout now (and says so in the audit trail). Deleting a row does the
    same, unaudited; `stillhere axes_reset` lifts them all from the shell.
    Called from AccountsConfig.ready(), after axes' admin has registered."""
    from axes.admin import AccessAttemptAdmin
    from axes.models import AccessAttempt
    from django.contrib.auth import get_user_model

    from stillhere.audit import events

    class UnlockingAccessAttemptAdmin(AccessAttemptAdmin):
        actions = ["lift_lockout", *AccessAttemptAdmin.actions]

        @admin.action(description="Lift the sign-in pause for the selected names now")
        def lift_lockout(self, request, queryset):
            users = get_user_model().objects.filter(
                username__in=[u for u in queryset.values_list("username", flat=True) if u])
            by_name = {u.username.lower(): u for u in users}
            n = 0
            for attempt in list(queryset):
                user = by_name.get((attempt.username or "").lower())
                attempt.delete()
                n += 1
                if user is not None:
                    for m in user.memberships.select_related("practice"):
                        events.record(events.SignInUnlocked(practice=m.practice, actor=request.user,
                                                            user_id=user.pk))
            self.message_user(request, f"Sign-in is open again for {n} name{'s' if n != 1 else ''}.")

    if admin.site.is_registered(AccessAttempt):
        admin.site.unregister(AccessAttempt)
    admin.site.register(AccessAttempt, UnlockingAccessAttemptAdmin)
