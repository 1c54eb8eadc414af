from django.contrib import admin, messages
from django.db import models

from core.admin import ReadOnlyAdminMixin
from rewards import services
from rewards.models import Achievement, AchievementAward, LearnerStats, XpEvent


@admin.register(Achievement)
class AchievementAdmin(admin.ModelAdmin):
    list_display = ["position", "code", "name", "kind", "threshold", "level", "xp_reward", "is_active"]
    list_display_links = ["code"]
    list_editable = ["position", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name"]
    ordering = ["position", "code"]
    fields = ["code", "name", "description", "icon_url", "kind", "threshold", "level", "xp_reward", "is_active",
              "position", "created_at"]
    readonly_fields = ["created_at"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


class _UserEmailMixin:
    @admin.display(description="user", ordering="user__email")
    def user_email(self, obj) -> str:
        return obj.user.email


# The ledger and the awards are the learners' record: staff may look, nobody edits them by hand.

@admin.register(XpEvent)
class XpEventAdmin(_UserEmailMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "user_email", "amount", "reason", "local_day", "session_id", "achievement"]
    list_filter = ["reason"]
    search_fields = ["user__email"]
    list_select_related = ["user", "achievement"]
    ordering = ["-created_at", "-id"]
    show_full_result_count = False


@admin.register(AchievementAward)
class AchievementAwardAdmin(_UserEmailMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["awarded_at", "user_email", "achievement", "session_id", "seen_at"]
    list_filter = ["achievement"]
    search_fields = ["user__email"]
    list_select_related = ["user", "achievement"]
    ordering = ["-awarded_at"]


@admin.register(LearnerStats)
class LearnerStatsAdmin(_UserEmailMixin, admin.ModelAdmin):
    """Aggregates written by the services only; the one change staff make is granting a freeze."""

    list_display = ["user_email", "total_xp", "current_streak", "longest_streak", "last_active_day",
                    "streak_freezes", "sessions", "updated_at"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    ordering = ["-updated_at"]
    actions = ["grant_one_freeze"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Grant one streak freeze", permissions=["change"])
    def grant_one_freeze(self, request, queryset):
        granted = skipped = 0
        for stats in queryset.select_related("user"):
            if services.grant_streak_freezes(actor=request.user, user=stats.user, count=1):
                granted += 1
            else:
                skipped += 1
        self.message_user(request, f"Granted one streak freeze to {granted} learner(s).", messages.SUCCESS)
        if skipped:
            self.message_user(request, f"{skipped} learner(s) already hold the most freezes allowed.",
                              messages.WARNING)
