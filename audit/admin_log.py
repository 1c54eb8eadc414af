"""Editors' changes made outside the admin's own forms (editor API, bulk actions, imports) also go
into Django's admin log, so the admin's "Recent actions" box shows what the editor did, wherever.

Only staff actors and only the content actions below: a learner's own changes are not admin
history. The admin's change forms of audited models do not write entries themselves
(`core.admin.AuditedAdminMixin`), so each change is listed once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model

if TYPE_CHECKING:
    from accounts.models import User

# action -> (admin log flag, model of the target, what the entry says)
ADMIN_LOGGED: dict[str, tuple[int, str, str]] = {
    "speech.create": (ADDITION, "content.speech", "Added."),
    "speech.update": (CHANGE, "content.speech", "Changed {fields}."),
    "speech.archive": (CHANGE, "content.speech", "Archived."),
    "speech.restore": (CHANGE, "content.speech", "Restored."),
    "speech.add_tag": (CHANGE, "content.speech", "Added a tag."),
    "speech.remove_tag": (CHANGE, "content.speech", "Removed a tag."),
    "speech.set_level": (CHANGE, "content.speech", "Changed the level."),
    "speech.bulk_create": (ADDITION, "content.speech", "Created {speeches_created} speeches ({source})."),
    "speech.bulk_update": (CHANGE, "content.speech", "Updated {speeches_updated} speeches ({source})."),
    "tag.create": (ADDITION, "content.tag", "Added."),
    "tag.update": (CHANGE, "content.tag", "Changed."),
    "tag.delete": (DELETION, "content.tag", "Deleted."),
    "import.csv_imported": (CHANGE, "imports.uploadsession", "Imported a CSV into this upload session."),
}


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "?"


def _message(template: str, changes: dict[str, Any]) -> str:
    values = _Blank(changes)
    if "{fields}" in template:
        after = changes.get("after") or {}
        values["fields"] = ", ".join(sorted(after)) or "nothing"
    return template.format_map(values)


def log_for_admin(action: str, target: Model | tuple[str, Any] | None, changes: dict[str, Any],
                  actor: User | None) -> None:
    entry = ADMIN_LOGGED.get(action)
    if entry is None or actor is None or not actor.pk or not actor.is_staff:
        return
    flag, model_label, template = entry
    content_type = ContentType.objects.get_by_natural_key(*model_label.split("."))
    if isinstance(target, Model) and target.pk:
        object_id, object_repr = str(target.pk), str(target)[:200]
    else:
        count = changes.get("speeches_created") or changes.get("speeches_updated") or \
            len(changes.get("speech_ids") or [])
        object_id, object_repr = None, f"{count} {content_type.model_class()._meta.verbose_name_plural}"
    LogEntry.objects.create(user_id=actor.pk, content_type=content_type, object_id=object_id,
                            object_repr=object_repr, action_flag=flag,
                            change_message=_message(template, changes))
