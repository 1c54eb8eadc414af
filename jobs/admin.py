from django.contrib import admin

from core.admin import ReadOnlyAdminMixin
from jobs.models import Job


@admin.register(Job)
class JobAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "kind", "state", "done", "total", "attempts", "started_by", "finished_at"]
    list_filter = ["kind", "state"]
    search_fields = ["id", "started_by__email"]
    readonly_fields = ["id", "kind", "state", "done", "total", "attempts", "started_by", "created_at",
                       "started_at", "finished_at", "result", "error_code", "error_detail", "errors"]
    exclude = ["params"]  # the CSV itself: large, and not for reading here
    list_select_related = ["started_by"]
