"""Admin forms for the email-based User (Django's stock forms assume a `username`)."""

from django import forms
from django.contrib.auth.forms import AdminUserCreationForm, ReadOnlyPasswordHashWidget, UserChangeForm

from accounts.models import User, normalise_email


class _CaseInsensitiveEmailMixin:
    def clean_email(self):
        email = normalise_email(self.cleaned_data.get("email"))
        taken = User.objects.filter(email__iexact=email)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError("An account with this email already exists.")
        return email


class UserCreationAdminForm(_CaseInsensitiveEmailMixin, AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "name")


class PasswordStatusWidget(ReadOnlyPasswordHashWidget):
    """Says whether a password is set and with which algorithm; not even part of the hash or salt."""

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["summary"] = [item for item in context["summary"]
                              if item.get("label") == "algorithm" or "value" not in item]
        return context


class UserChangeAdminForm(_CaseInsensitiveEmailMixin, UserChangeForm):
    avatar_url = forms.URLField(max_length=1024, required=False, assume_scheme="https")

    def clean_avatar_url(self):
        return self.cleaned_data.get("avatar_url") or None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "password" in self.fields:
            self.fields["password"].widget = PasswordStatusWidget()

    class Meta:
        model = User
        fields = "__all__"
