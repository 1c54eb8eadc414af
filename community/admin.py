from django.contrib import admin, messages

from community import services
from community.models import CommunityProfile, FriendRequest, Friendship, League, WeeklyXp
from core.admin import ReadOnlyAdminMixin

# Leagues and friendships are the learners' own record, made by playing: staff may look, not edit.


class _UserEmailMixin:
    @admin.display(description="user", ordering="user__email")
    def user_email(self, obj) -> str:
        return obj.user.email


class LeagueEntryInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = WeeklyXp
    fields = ["user", "xp", "final_rank", "outcome"]
    readonly_fields = fields
    ordering = ["-xp", "-user_id"]
    extra = 0
    verbose_name_plural = "members, by XP"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


@admin.register(League)
class LeagueAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "week_start", "tier", "number", "members", "closed_at"]
    list_filter = ["week_start", "tier", ("closed_at", admin.EmptyFieldListFilter)]
    fields = ["week_start", "tier", "number", "members", "closed_at", "created_at"]
    readonly_fields = fields
    inlines = [LeagueEntryInline]
    actions = ["close_finished_weeks"]
    show_full_result_count = False

    @admin.action(description="Close every league week that has ended (as the hourly job does)",
                  permissions=["view"])
    def close_finished_weeks(self, request, queryset):
        totals = services.close_finished_weeks()
        self.message_user(request, f"Closed {totals['leagues']} leagues: {totals['learners']} learners, "
                                   f"{totals['promoted']} promoted, {totals['demoted']} demoted.", messages.SUCCESS)


@admin.register(WeeklyXp)
class WeeklyXpAdmin(_UserEmailMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["week_start", "user_email", "xp", "league", "final_rank", "outcome"]
    list_filter = ["week_start", "outcome"]
    search_fields = ["user__email"]
    list_select_related = ["user", "league"]
    ordering = ["-week_start", "-xp"]
    show_full_result_count = False


@admin.register(CommunityProfile)
class CommunityProfileAdmin(_UserEmailMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["user_email", "tier", "tier_from_week", "leagues_opt_out", "invite_code"]
    list_filter = ["tier", "leagues_opt_out"]
    search_fields = ["user__email", "invite_code"]
    list_select_related = ["user"]


@admin.register(Friendship)
class FriendshipAdmin(_UserEmailMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["user_email", "friend", "created_at"]
    search_fields = ["user__email"]
    list_select_related = ["user", "friend"]


@admin.register(FriendRequest)
class FriendRequestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["from_user", "to_email", "created_at"]
    search_fields = ["from_user__email", "to_email"]
    list_select_related = ["from_user"]
