from django.contrib import admin

from core.admin import ReadOnlyAdminMixin
from game.models import GameResult, GameSession, ReviewCard

# Sessions are the learners' record: staff may look, nobody edits them by hand.


class GameResultInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = GameResult
    fields = ["sequence_number", "speech_text", "user_response", "pronunciation_score", "recognized_text",
              "response_time_ms"]
    readonly_fields = fields
    ordering = ["sequence_number"]
    extra = 0
    can_delete = False
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("speech")

    def has_view_permission(self, request, obj=None):
        # Whoever may view a session may view its results.
        return request.user.has_perm("game.view_gamesession")

    @admin.display(description="speech")
    def speech_text(self, result: GameResult) -> str:
        suffix = " (archived)" if result.speech.archived_at else ""
        return f"{result.speech.text}{suffix}"


@admin.register(GameSession)
class GameSessionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["completed_at", "user_email", "mode", "level", "sentence_type", "score",
                    "avg_pronunciation_score", "duration_seconds"]
    list_filter = ["mode", "level", "sentence_type", ("completed_at", admin.DateFieldListFilter)]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    date_hierarchy = "completed_at"
    ordering = ["-completed_at"]
    inlines = [GameResultInline]
    fields = ["id", "user", "mode", "level", "sentence_type", "selected_tags", "total_sentences", "correct_count",
              "max_streak", "avg_pronunciation_score", "duration_seconds", "started_at", "completed_at",
              "created_at"]
    readonly_fields = fields
    show_full_result_count = False

    @admin.display(description="user", ordering="user__email")
    def user_email(self, session: GameSession) -> str:
        return session.user.email

    @admin.display(description="correct")
    def score(self, session: GameSession) -> str:
        return f"{session.correct_count}/{session.total_sentences}"


@admin.register(ReviewCard)
class ReviewCardAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Derived from the results (manage.py rebuild_review_cards), so only for looking at a learner's schedule."""

    list_display = ["user_email", "speech_text", "state", "due", "last_review", "reps", "lapses"]
    list_filter = ["state"]
    search_fields = ["user__email"]
    list_select_related = ["user", "speech"]
    ordering = ["due"]
    fields = ["user", "speech", "state", "step", "stability", "difficulty", "due", "last_review", "reps", "lapses",
              "updated_at"]
    readonly_fields = fields
    show_full_result_count = False

    @admin.display(description="user", ordering="user__email")
    def user_email(self, card: ReviewCard) -> str:
        return card.user.email

    @admin.display(description="speech")
    def speech_text(self, card: ReviewCard) -> str:
        return card.speech.text
