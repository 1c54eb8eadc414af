"""Staff groups seeded by `migrate`: today one, "Content editor", with exactly what editing content takes.

Editors get the speech and tag screens and nothing about people: not users, device sessions
or the audit log, not learners' game data. What the other screens they use check:

- the import wizard (imports' admin) and its job report let in whoever may add speeches
  (`imports.admin.may_import`), and show upload sessions read-only to the same people, so
  no imports or jobs permission is needed;
- the coverage dashboard takes `content.view_speech`;
- speeches are archived, never deleted (the admin refuses deletion), so there is no
  `delete_speech`; tags are deleted (unless still in use), so there is `delete_tag`.

The group is refreshed on every `migrate`: hand-made changes to its permissions are put
back, so it always means the same thing. Permissions exist only after their app's
post_migrate, hence the handler's own call to Django's `create_permissions`.
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import Q

CONTENT_EDITOR_GROUP = "Content editor"
CONTENT_EDITOR_PERMISSIONS: frozenset[str] = frozenset({
    "content.view_speech", "content.add_speech", "content.change_speech",
    "content.view_tag", "content.add_tag", "content.change_tag", "content.delete_tag",
})


def _app_labels() -> set[str]:
    return {name.split(".", 1)[0] for name in CONTENT_EDITOR_PERMISSIONS}


def ensure_content_editor_group(*, using: str = DEFAULT_DB_ALIAS) -> Group:
    """Create the "Content editor" group, or set its permissions back to exactly CONTENT_EDITOR_PERMISSIONS.

    Idempotent. Raises LookupError naming any permission that does not exist (a model was
    renamed, say): a group silently missing a permission would only show as a 403 later.
    """
    wanted = Q()
    for name in CONTENT_EDITOR_PERMISSIONS:
        app_label, codename = name.split(".", 1)
        wanted |= Q(content_type__app_label=app_label, codename=codename)
    permissions = list(Permission.objects.using(using).filter(wanted).select_related("content_type"))
    found = {f"{p.content_type.app_label}.{p.codename}" for p in permissions}
    if missing := CONTENT_EDITOR_PERMISSIONS - found:
        raise LookupError(f"Permissions of the {CONTENT_EDITOR_GROUP!r} group do not exist: {sorted(missing)}")
    with transaction.atomic(using=using):
        group, _created = Group.objects.using(using).get_or_create(name=CONTENT_EDITOR_GROUP)
        group.permissions.set(permissions)
    return group


def seed_staff_groups(sender, *, apps=global_apps, using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    """post_migrate handler (connected for the accounts app): the staff groups after every migrate."""
    try:
        # The migrated state, not the code: after a partial migrate the tables may not exist yet.
        apps.get_model("auth", "Group")
        apps.get_model("auth", "Permission")
        for label in _app_labels():
            apps.get_app_config(label)
    except LookupError:
        return
    # The apps' own post_migrate may come after this one (accounts is listed before them).
    for label in sorted(_app_labels()):
        create_permissions(global_apps.get_app_config(label), verbosity=0, using=using)
    ensure_content_editor_group(using=using)
