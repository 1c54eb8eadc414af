"""Admin building blocks shared by the apps."""


class ReadOnlyAdminMixin:
    """For records nobody edits by hand (history, audit, import logs): staff may only look."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
