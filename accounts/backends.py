"""The Django admin's sign-in form checks passwords exactly as the API login does."""

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from accounts.exceptions import AccountLocked
from accounts.services import check_credentials
from core.exceptions import DomainError


class LockoutModelBackend(ModelBackend):
    """ModelBackend (permissions and all) whose password check is the accounts service:
    the same lockout, the same audit events ("user.login_failed", "user.locked_out",
    "user.login" with method "admin")."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get("email")
        if username is None or password is None:
            return None
        try:
            user = check_credentials(email=username, password=password, method="admin")
        except AccountLocked as exc:
            raise PermissionDenied(exc.detail) from exc  # stops here: no other backend may try
        except DomainError:
            return None
        return user if self.user_can_authenticate(user) else None
