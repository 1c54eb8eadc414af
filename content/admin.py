"""Django Admin for content editors: speeches (with audio players and bulk actions) and tags.

Every write goes through content.services, so admin edits are audited and invalidate
the practice-set and tag caches exactly like the editor API.
"""

import tempfile
import uuid
from functools import partial

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.db import connection
from django.db.models import Prefetch
from django.http import FileResponse, HttpResponse
from django.urls import path
from django.utils.html import format_html
from django.utils.text import Truncator

from content import selectors, services
from content.admin_dashboard import coverage_dashboard_view
from content.csv_export import export_csv_text, export_filename, write_export_xlsx
from content.csv_format import XLSX_CONTENT_TYPE
from content.models import Level, Speech, Tag
from core.admin import AuditedAdminMixin
from core.exceptions import DomainError
from core.storage import signed_url


def audio_player(speech: Speech) -> str:
    if not speech.audio.name:
        return "-"
    return format_html('<audio controls preload="none" src="{}"></audio>', signed_url(speech.audio.name))


@admin.action(description="Export selected as import CSV")
def export_speeches_as_import_csv(modeladmin, request, queryset):
    """Exactly the selected speeches, in the import CSV format (see SpeechExportApi for whole lists)."""
    speeches = queryset.prefetch_related("tags").order_by("created_at", "id")
    response = HttpResponse(export_csv_text(speeches), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export_filename()}"'
    return response


@admin.action(description="Export selected as XLSX")
def export_speeches_as_xlsx(modeladmin, request, queryset):
    """The selected speeches as the import XLSX: for Excel, which misreads CSV encodings and separators."""
    speeches = queryset.prefetch_related("tags").order_by("created_at", "id")
    # A temporary file, not memory: openpyxl zips the sheet into it, the response streams it.
    target = tempfile.TemporaryFile()
    write_export_xlsx(speeches, target)
    target.seek(0)
    return FileResponse(target, as_attachment=True, filename=export_filename("xlsx"), content_type=XLSX_CONTENT_TYPE)


# --- speeches ------------------------------------------------------------------------------

class ArchivedFilter(admin.SimpleListFilter):
    """Active speeches unless asked otherwise: archived ones are deleted as far as editors are concerned."""

    title = "status"
    parameter_name = "archived"
    DEFAULT = "no"

    def lookups(self, request, model_admin):
        return [("no", "Active"), ("yes", "Archived"), ("all", "All")]

    def _current(self) -> str:
        value = self.value()
        return value if value in {"no", "yes", "all"} else self.DEFAULT

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self._current() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        current = self._current()
        if current == "no":
            return queryset.filter(archived_at__isnull=True)
        if current == "yes":
            return queryset.filter(archived_at__isnull=False)
        return queryset


class TagFilter(admin.SimpleListFilter):
    """By tag, with EXISTS: filtering across the link table with a JOIN would need DISTINCT over every row."""

    title = "tag"
    parameter_name = "tag"

    def lookups(self, request, model_admin):
        return [(str(tag_id), name) for tag_id, name in Tag.objects.order_by("name").values_list("id", "name")]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        try:
            return selectors.speeches_with_tag(queryset, tag_id=uuid.UUID(self.value()))
        except ValueError:
            return queryset.none()


class SpeechAdminForm(forms.ModelForm):
    # Tags use an explicit through table, so the model field cannot be edited directly; the
    # picker is a plain form field whose choice the service applies.
    tag_choices = forms.ModelMultipleChoiceField(
        label="Tags", queryset=Tag.objects.order_by("name"), required=False,
        widget=FilteredSelectMultiple("tags", is_stacked=False),
    )
    audio_upload = forms.FileField(
        label="Audio file", required=False,
        help_text="MP3, WAV or M4A. Required for a new speech; replaces the current audio when given.",
    )

    class Meta:
        model = Speech
        fields = ["text", "level", "type"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance._state.adding:
            self.fields["tag_choices"].initial = list(self.instance.tags.values_list("pk", flat=True))

    def clean_audio_upload(self):
        upload = self.cleaned_data.get("audio_upload")
        if upload is None:
            if self.instance._state.adding:  # (a new speech already has its UUID pk)
                raise forms.ValidationError("Upload the audio of the new speech.")
            return None
        try:
            services.validate_audio_upload(audio_file=upload)
        except DomainError as exc:
            raise forms.ValidationError(exc.detail) from None
        return upload


class SpeechActionForm(ActionForm):
    tag = forms.ModelChoiceField(queryset=Tag.objects.order_by("name"), required=False, label="Tag")
    level = forms.ChoiceField(choices=[("", "---------"), *Level.choices], required=False, label="Level")


@admin.register(Speech)
class SpeechAdmin(AuditedAdminMixin, admin.ModelAdmin):
    form = SpeechAdminForm
    action_form = SpeechActionForm
    list_display = ["short_text", "level", "type", "tag_names", "player", "created_at"]
    list_filter = [ArchivedFilter, "level", "type", TagFilter]
    search_fields = ["text"]
    readonly_fields = ["current_audio", "created_at", "updated_at", "archived_at"]
    fieldsets = [
        (None, {"fields": ["text", "level", "type", "tag_choices"]}),
        ("Audio", {"fields": ["current_audio", "audio_upload"]}),
        ("History", {"fields": ["created_at", "updated_at", "archived_at"], "classes": ["collapse"]}),
    ]
    ordering = ["-created_at"]
    list_per_page = 50
    show_full_result_count = False
    actions = ["add_tag", "remove_tag", "set_level", "archive", "restore", export_speeches_as_import_csv,
               export_speeches_as_xlsx]

    class Media:
        css = {"all": ["content/admin/speech_list.css"]}

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related(
            Prefetch("tags", queryset=Tag.objects.only("id", "name").order_by("name")))

    @property
    def search_help_text(self) -> str:
        # What selectors.search_speeches does on this database, so the hint is never a promise it breaks.
        if connection.vendor == "postgresql":
            return "Words of the sentence in any form (cooking finds cooked) or any part of it (izza finds pizza)."
        return "Any part of the sentence (izza finds pizza), ignoring case."

    def get_search_results(self, request, queryset, search_term):
        return selectors.search_speeches(queryset, search_term), False

    def get_urls(self):
        # Before the model's own routes, whose "<object_id>/" would take "dashboard/" for a speech.
        dashboard = self.admin_site.admin_view(partial(coverage_dashboard_view, self))
        return [path("dashboard/", dashboard, name="content_dashboard"), *super().get_urls()]

    # Archiving replaces deleting: history keeps pointing at the speech.
    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Text", ordering="text")
    def short_text(self, speech: Speech) -> str:
        return Truncator(speech.text).chars(160)

    @admin.display(description="Tags")
    def tag_names(self, speech: Speech) -> str:
        return ", ".join(tag.name for tag in speech.tags.all())

    @admin.display(description="Audio")
    def player(self, speech: Speech) -> str:
        return audio_player(speech)

    @admin.display(description="Current audio")
    def current_audio(self, speech: Speech) -> str:
        return "-" if speech._state.adding else audio_player(speech)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        tag_ids = [tag.pk for tag in data["tag_choices"]]
        if change:
            # The form already wrote its values onto `obj`; the service compares against the stored row.
            speech = services.update_speech(speech=Speech.objects.get(pk=obj.pk), changes=services.SpeechChanges(
                text=data["text"], level=data["level"], type=data["type"], tag_ids=tag_ids,
                audio_file=data.get("audio_upload")), actor=request.user)
        else:
            speech = services.create_speech(data=services.SpeechInput(
                text=data["text"], level=data["level"], type=data["type"], tag_ids=tag_ids,
                audio_file=data["audio_upload"]), actor=request.user)
        for field in Speech._meta.concrete_fields:
            setattr(obj, field.attname, getattr(speech, field.attname))
        obj._state.adding, obj._state.db = False, speech._state.db

    def save_related(self, request, form, formsets, change):
        """Tags were saved by the service in save_model."""

    def _selected_ids(self, queryset) -> list:
        return list(queryset.values_list("pk", flat=True))

    def _chosen(self, request, field: str):
        form = self.action_form(request.POST)
        form.fields["action"].choices = self.get_action_choices(request)
        if form.is_valid() and form.cleaned_data.get(field):
            return form.cleaned_data[field]
        self.message_user(request, f"Choose a {field} next to the action first.", messages.WARNING)
        return None

    @admin.action(description="Add the chosen tag to selected speeches")
    def add_tag(self, request, queryset):
        if tag := self._chosen(request, "tag"):
            count = services.add_tag_to_speeches(speech_ids=self._selected_ids(queryset), tag=tag,
                                                 actor=request.user)
            self.message_user(request, f"Tag {tag.name!r} added to {count} speech(es).", messages.SUCCESS)

    @admin.action(description="Remove the chosen tag from selected speeches")
    def remove_tag(self, request, queryset):
        if tag := self._chosen(request, "tag"):
            count = services.remove_tag_from_speeches(speech_ids=self._selected_ids(queryset), tag=tag,
                                                      actor=request.user)
            self.message_user(request, f"Tag {tag.name!r} removed from {count} speech(es).", messages.SUCCESS)

    @admin.action(description="Set the chosen level on selected speeches")
    def set_level(self, request, queryset):
        if level := self._chosen(request, "level"):
            count = services.set_level_of_speeches(speech_ids=self._selected_ids(queryset), level=level,
                                                   actor=request.user)
            self.message_user(request, f"{count} speech(es) moved to {level}.", messages.SUCCESS)

    @admin.action(description="Archive selected speeches (hide from practice, keep in history)")
    def archive(self, request, queryset):
        count = services.archive_speeches(speech_ids=self._selected_ids(queryset), actor=request.user)
        self.message_user(request, f"{count} speech(es) archived.", messages.SUCCESS)

    @admin.action(description="Restore selected archived speeches")
    def restore(self, request, queryset):
        count = services.restore_speeches(speech_ids=self._selected_ids(queryset), actor=request.user)
        self.message_user(request, f"{count} speech(es) restored.", messages.SUCCESS)


# --- tags ----------------------------------------------------------------------------------

@admin.register(Tag)
class TagAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "category", "speech_count", "created_at"]
    list_filter = ["category"]
    search_fields = ["name"]
    fields = ["name", "category"]
    ordering = ["name"]
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(speech_count=selectors.active_speech_count_of_tag())

    @admin.display(description="Speeches", ordering="speech_count")
    def speech_count(self, tag: Tag) -> int:
        return tag.speech_count

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            tag = services.update_tag(tag=Tag.objects.get(pk=obj.pk), name=data["name"], category=data["category"],
                                      actor=request.user)
        else:
            tag = services.create_tag(name=data["name"], category=data["category"], actor=request.user)
        for field in Tag._meta.concrete_fields:
            setattr(obj, field.attname, getattr(tag, field.attname))
        obj._state.adding, obj._state.db = False, tag._state.db

    def get_deleted_objects(self, objs, request):
        """Tags active speeches still use are "protected": the admin then refuses to delete them."""
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        in_use = selectors.tags_with_speech_count().filter(pk__in=[tag.pk for tag in objs], speech_count__gt=0)
        protected = list(protected) + [
            format_html("{} (used by {} speech(es); remove it from them first)", tag.name, tag.speech_count)
            for tag in in_use]
        return deleted, model_count, perms_needed, protected

    def delete_model(self, request, obj):
        services.delete_tag(tag=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for tag in queryset:
            services.delete_tag(tag=tag, actor=request.user)

