"""Django Admin for editors composing courses: courses with their units, lessons with their sentences.

Composition goes through the admin's own forms (and its history); publishing, which learners see at once,
goes through courses.services and is audited.
"""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count

from core.admin import ReadOnlyAdminMixin
from courses import services
from courses.models import Course, Lesson, LessonItem, LessonProgress, Unit


class UnitInline(admin.TabularInline):
    model = Unit
    fields = ["title", "position"]
    extra = 0
    ordering = ["position"]


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ["title", "level", "status", "position", "units_count", "lessons_count"]
    list_filter = ["level", "status"]
    search_fields = ["title"]
    autocomplete_fields = ["tags"]
    fields = ["title", "description", "level", "tags", "position", "status"]
    readonly_fields = ["status"]  # changed by the publish / unpublish actions only
    inlines = [UnitInline]
    ordering = ["position", "created_at"]
    actions = ["publish", "unpublish"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            units_total=Count("units", distinct=True), lessons_total=Count("units__lessons", distinct=True))

    @admin.display(description="Units", ordering="units_total")
    def units_count(self, course: Course) -> int:
        return course.units_total

    @admin.display(description="Lessons", ordering="lessons_total")
    def lessons_count(self, course: Course) -> int:
        return course.lessons_total

    @admin.action(description="Publish selected courses")
    def publish(self, request, queryset):
        outcome = services.publish_courses(course_ids=list(queryset.values_list("pk", flat=True)), actor=request.user)
        self.message_user(request, f"{outcome.changed} course(s) published.", messages.SUCCESS)
        if outcome.skipped_empty:
            self.message_user(request, "Not published, they have no lesson yet: " + ", ".join(outcome.skipped_empty),
                              messages.WARNING)

    @admin.action(description="Unpublish selected courses (back to draft)")
    def unpublish(self, request, queryset):
        outcome = services.unpublish_courses(course_ids=list(queryset.values_list("pk", flat=True)),
                                             actor=request.user)
        self.message_user(request, f"{outcome.changed} course(s) back to draft.", messages.SUCCESS)


class LessonItemForm(forms.ModelForm):
    class Meta:
        model = LessonItem
        fields = ["speech", "position"]

    def clean_speech(self):
        speech = self.cleaned_data["speech"]
        # The autocomplete lists archived speeches too; one already in the lesson may stay.
        if speech is not None and speech.is_archived and speech.pk != self.instance.speech_id:
            raise forms.ValidationError("This speech is archived: choose an active one.")
        return speech


class LessonItemInline(admin.TabularInline):
    model = LessonItem
    form = LessonItemForm
    fields = ["speech", "position"]
    autocomplete_fields = ["speech"]
    extra = 1
    ordering = ["position"]


class CourseFilter(admin.SimpleListFilter):
    title = "course"
    parameter_name = "course"

    def lookups(self, request, model_admin):
        courses = Course.objects.order_by("position", "title").values_list("pk", "title")
        return [(str(pk), title) for pk, title in courses]

    def queryset(self, request, queryset):
        return queryset.filter(unit__course_id=self.value()) if self.value() else queryset


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):
    list_display = ["title", "course", "unit", "position", "items_count"]
    list_filter = [CourseFilter, "unit__course__level"]
    list_select_related = ["unit__course"]
    search_fields = ["title"]
    fields = ["unit", "title", "description", "position", "pass_ratio"]
    inlines = [LessonItemInline]
    ordering = ["unit__course__position", "unit__course__title", "unit__position", "position"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(items_total=Count("items"))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "unit":
            # Each choice is named after its course too.
            kwargs["queryset"] = Unit.objects.select_related("course").order_by("course__position", "course__title",
                                                                               "position")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="Course", ordering="unit__course__title")
    def course(self, lesson: Lesson) -> str:
        return lesson.unit.course.title

    @admin.display(description="Sentences", ordering="items_total")
    def items_count(self, lesson: Lesson) -> int:
        return lesson.items_total


@admin.register(LessonProgress)
class LessonProgressAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["user", "lesson", "attempts", "best_score", "completed_at", "updated_at"]
    list_select_related = ["user", "lesson"]
    search_fields = ["user__email", "lesson__title"]
    list_filter = [("completed_at", admin.EmptyFieldListFilter)]
    show_full_result_count = False
