from functools import partial, wraps

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.urls import path, reverse
from django.utils.html import format_html

from core.admin import ReadOnlyAdminMixin
from imports import admin_wizard
from imports.models import UploadedFile, UploadSession


def may_import(user) -> bool:
    """Importing creates speeches, so in the admin it takes the permission to add speeches."""
    return user.is_active and user.is_staff and user.has_perm("content.add_speech")


def _importers_only(view):
    @wraps(view)
    def guarded(request, *args, **kwargs):
        if not may_import(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)
    return guarded


class _ImportersCanView(ReadOnlyAdminMixin):
    """Upload sessions are shown, read-only, to whoever may import."""

    def has_module_permission(self, request):
        return may_import(request.user)

    def has_view_permission(self, request, obj=None):
        return may_import(request.user)


class UploadedFileInline(_ImportersCanView, admin.TabularInline):
    model = UploadedFile
    fields = ["stored_name", "original_filename", "format", "size_bytes", "created_at"]
    readonly_fields = fields
    extra = 0
    show_change_link = False


@admin.register(UploadSession)
class UploadSessionAdmin(_ImportersCanView, admin.ModelAdmin):
    list_display = ["id", "status_label", "created_by", "file_count", "created_at", "expires_at", "imported_at",
                    "next_step"]
    list_filter = ["state"]
    list_select_related = ["created_by"]
    readonly_fields = ["id", "state", "created_by", "created_at", "expires_at", "imported_at", "pending_csv_name"]
    fields = readonly_fields
    inlines = [UploadedFileInline]
    change_list_template = "admin/imports/uploadsession/change_list.html"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(file_total=Count("files"))

    @admin.display(description="status")
    def status_label(self, session: UploadSession) -> str:
        return session.status

    @admin.display(description="files", ordering="file_total")
    def file_count(self, session: UploadSession) -> int:
        return session.file_total

    @admin.display(description="")
    def next_step(self, session: UploadSession) -> str:
        if session.status != "open":
            return ""
        return format_html('<a href="{}">Continue import</a>',
                           reverse("admin:imports_uploadsession_csv", args=[session.id]))

    def get_urls(self):
        def wrap(view):
            return self.admin_site.admin_view(_importers_only(partial(view, self)))

        return [
            path("import/", wrap(admin_wizard.upload_audio_view), name="imports_uploadsession_wizard"),
            path("<uuid:session_id>/import-csv/", wrap(admin_wizard.upload_csv_view), name="imports_uploadsession_csv"),
            path("import/empty/", wrap(admin_wizard.empty_session_view), name="imports_uploadsession_empty"),
            path("<uuid:session_id>/import-csv/errors.csv", wrap(admin_wizard.session_errors_view),
                 name="imports_uploadsession_errors"),
            path("<uuid:session_id>/confirm/", wrap(admin_wizard.confirm_view), name="imports_uploadsession_confirm"),
            path("import/job/<uuid:job_id>/", wrap(admin_wizard.job_view), name="imports_uploadsession_job"),
            path("import/job/<uuid:job_id>/errors.csv", wrap(admin_wizard.job_errors_view),
                 name="imports_uploadsession_job_errors"),
        ] + super().get_urls()


@admin.register(UploadedFile)
class UploadedFileAdmin(_ImportersCanView, admin.ModelAdmin):
    list_display = ["stored_name", "original_filename", "format", "size_bytes", "session", "created_at"]
    list_filter = ["format"]
    search_fields = ["stored_name", "original_filename"]
    readonly_fields = ["id", "session", "original_filename", "stored_name", "storage_key", "size_bytes", "format",
                       "created_at"]
    fields = readonly_fields
