"""The one password-strength rule (Django's validators in settings), as our error shape."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from accounts.exceptions import WeakPassword
from accounts.models import User


def check_password_strength(password: str, *, user: User, field: str) -> None:
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise WeakPassword(errors={field: list(exc.messages)}) from exc
