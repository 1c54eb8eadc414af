import json

from django.contrib import admin
from django.utils.html import format_html

from audit.models import AuditLog
from core.admin import ReadOnlyAdminMixin


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "action", "actor_email", "object_type", "object_id", "ip")
    list_filter = ("action", "object_type", ("created_at", admin.DateFieldListFilter))
    search_fields = ("actor_email", "action", "object_type", "object_id", "request_id", "ip")
    date_hierarchy = "created_at"
    fields = ("created_at", "action", "actor", "actor_email", "object_type", "object_id", "changes_pretty",
              "ip", "request_id")
    readonly_fields = fields
    show_full_result_count = False

    @admin.display(description="Changes")
    def changes_pretty(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.changes, indent=2, ensure_ascii=False, default=str))

