"""Admin building blocks shared by the apps."""


class ReadOnlyAdminMixin:
    """For records nobody edits by hand (history, audit, import logs): staff may only look."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def brand_admin_site(site) -> None:
    """The admin's header, title and "View site" link name this product, not Django.

    "View site" leads where ADMIN_VIEW_SITE_URL says (the product's web page, say); without one
    the link is hidden: the API has no page an editor could use.
    """
    from django.conf import settings

    product = settings.PRODUCT_NAME
    site.site_header = f"{product} admin"
    site.site_title = f"{product} admin"
    site.index_title = "Content, learners and imports"
    site.site_url = settings.ADMIN_VIEW_SITE_URL or None


class AuditedAdminMixin:
    """For models whose services write the audit trail: that trail also writes the admin log
    (audit/admin_log.py), whichever way the change came, so the admin's own forms do not."""

    def log_addition(self, request, obj, message):
        return None

    def log_change(self, request, obj, message):
        return None

    def log_deletions(self, request, queryset):
        return None
