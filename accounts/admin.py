from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Model, QuerySet

from accounts import services
from accounts.forms import UserChangeAdminForm, UserCreationAdminForm
from accounts.models import DeviceSession, User

# Never copied into the audit trail, whatever the form holds.
_UNAUDITED_FIELDS = {"password", "last_login"}


def _audit_value(value):
    """Form values as JSON: related objects (groups, permissions) by name."""
    if isinstance(value, (QuerySet, list, tuple, set)):
        return sorted(str(item) for item in value)
    if isinstance(value, Model):
        return str(value)
    return value


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    list_display = ("email", "name", "auth_provider", "is_staff", "is_active", "created_at")
    list_filter = ("auth_provider", ("email_verified_at", admin.EmptyFieldListFilter), "is_staff", "is_superuser",
                   "is_active")
    search_fields = ("email", "name")
    ordering = ("-created_at",)
    readonly_fields = ("auth_provider", "auth_provider_id", "email_verified_at", "created_at", "updated_at",
                       "last_login")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("name", "avatar_url", "timezone")}),
        ("Sign-in", {"fields": ("auth_provider", "auth_provider_id", "email_verified_at", "last_login")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("created_at", "updated_at")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",),
                "fields": ("email", "name", "usable_password", "password1", "password2")}),
    )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        fields = [name for name in form.changed_data if name not in _UNAUDITED_FIELDS
                  and not name.startswith(("password", "usable_password"))]
        if change and fields:
            services.record_admin_edit(
                user=obj, before={name: _audit_value(form.initial.get(name)) for name in fields},
                after={name: _audit_value(form.cleaned_data.get(name)) for name in fields})
        elif not change:
            services.record_admin_creation(user=obj)

    def get_deleted_objects(self, objs, request):
        # Deleting an account legitimately removes its sessions and game history, whose admins are
        # read-only; staff allowed to delete users need no delete permission on those rows.
        deleted, model_count, _perms_needed, protected = super().get_deleted_objects(objs, request)
        return deleted, model_count, set(), protected

    def delete_model(self, request, obj):
        services.delete_account(user=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for user in queryset:
            services.delete_account(user=user, actor=request.user)

    def user_change_password(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            # The password was set: sign the account out everywhere, as a self-service change does.
            services.admin_password_reset(user=User.objects.get(pk=id), actor=request.user)
        return response


@admin.register(DeviceSession)
class DeviceSessionAdmin(admin.ModelAdmin):
    list_display = ("user", "auth_method", "user_agent", "ip", "created_at", "last_used_at", "revoked_at")
    list_filter = ("auth_method", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("user__email", "user_agent", "ip")
    list_select_related = ("user",)
    readonly_fields = [field.name for field in DeviceSession._meta.fields]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Sign the selected devices out", permissions=["change"])
    def revoke(self, request, queryset):
        count = 0
        for session in queryset.filter(revoked_at__isnull=True).select_related("user"):
            services.revoke_session(user=session.user, session_id=session.pk, actor=request.user)
            count += 1
        self.message_user(request, f"Signed out {count} device(s).", messages.SUCCESS)
