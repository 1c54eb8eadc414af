"""The password rules shared by the account flows: strength, and re-entering the current one."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

import audit
from accounts.exceptions import WeakPassword, WrongPassword
from accounts.models import User
from accounts.services import lockout


def check_password_strength(password: str, *, user: User, field: str) -> None:
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise WeakPassword(errors={field: list(exc.messages)}) from exc


def confirm_current_password(*, user: User, password: str, field: str, failure_event: str) -> None:
    """The signed-in user re-enters the password before a sensitive change; guesses count against the lockout.

    The caller clears the lockout (`lockout.reset`) once its change is done.
    """
    lockout.reserve_attempt(email=user.email)
    if not user.check_password(password or ""):
        audit.record(failure_event, user, actor=user)
        raise WrongPassword(errors={field: [str(WrongPassword.detail)]})
