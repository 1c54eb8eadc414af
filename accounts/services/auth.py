"""Email/password accounts: registration, login, password change, deletion."""

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.exceptions import (
    AccountDisabled, EmailTaken, InvalidCredentials, PasswordNotSet, WeakPassword, WrongPassword,
)
from accounts.models import AuthProvider, User
from accounts.services import lockout
from accounts.services.audit import record_audit_event
from accounts.services.tokens import (
    TokenPair, blacklist_all_refresh_tokens, revoke_other_sessions, start_session,
)
from config import metrics


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def _check_password_strength(password: str, *, user: User, field: str) -> None:
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise WeakPassword(errors={field: list(exc.messages)}) from exc


def register_user(*, email: str, password: str, name: str, request=None) -> tuple[User, TokenPair]:
    email = normalise_email(email)
    _check_password_strength(password, user=User(email=email, name=name), field="password")
    if User.objects.filter(email__iexact=email).exists():
        raise EmailTaken()
    try:
        with transaction.atomic():
            user = User.objects.create_user(email=email, password=password, name=name,
                                            auth_provider=AuthProvider.EMAIL)
            record_audit_event(action="user.register", actor=user, object_type="user", object_id=str(user.pk),
                               changes={"auth_provider": AuthProvider.EMAIL}, request=request)
            pair = start_session(user=user, auth_method=AuthProvider.EMAIL, request=request)
    except IntegrityError as exc:  # a concurrent registration of the same email won
        raise EmailTaken() from exc
    metrics.record_registration(method=AuthProvider.EMAIL)
    return user, pair


def login(*, email: str, password: str, request=None) -> tuple[User, TokenPair]:
    """Password login with lockout; unknown email and wrong password fail alike."""
    email = normalise_email(email)
    lockout.ensure_not_locked(email=email)
    user = User.objects.filter(email__iexact=email).first()
    if user is None or not user.has_usable_password():
        # Hash anyway so the response time does not tell whether (or how) the account exists.
        User().set_password(password)
        authenticated = False
    else:
        authenticated = user.check_password(password)

    if not authenticated:
        with transaction.atomic():
            failures = lockout.register_failure(email=email)
            record_audit_event(action="user.login_failed", actor=user, actor_email=email, object_type="user",
                               object_id=str(user.pk) if user else "", changes={"failures": failures},
                               request=request)
            if failures == settings.LOGIN_LOCKOUT_ATTEMPTS:
                record_audit_event(action="user.locked_out", actor=user, actor_email=email, object_type="user",
                                   object_id=str(user.pk) if user else "",
                                   changes={"failures": failures,
                                            "window_seconds": settings.LOGIN_LOCKOUT_WINDOW_SECONDS},
                                   request=request)
        raise InvalidCredentials()

    if not user.is_active:
        raise AccountDisabled()
    lockout.reset(email=email)
    with transaction.atomic():
        record_audit_event(action="user.login", actor=user, object_type="user", object_id=str(user.pk),
                           changes={"method": AuthProvider.EMAIL}, request=request)
        pair = start_session(user=user, auth_method=AuthProvider.EMAIL, request=request)
    return user, pair


def change_password(*, user: User, current_password: str, new_password: str,
                    current_session_id: str | None = None, request=None) -> None:
    """Set a new password and sign every other device out; this device stays signed in."""
    if not user.has_usable_password():
        raise PasswordNotSet()
    lockout.ensure_not_locked(email=user.email)
    if not user.check_password(current_password):
        lockout.register_failure(email=user.email)
        record_audit_event(action="user.password_change_failed", actor=user, object_type="user",
                           object_id=str(user.pk), request=request)
        raise WrongPassword(errors={"current_password": [WrongPassword.detail]})
    _check_password_strength(new_password, user=user, field="new_password")
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password", "updated_at"])
        revoked = revoke_other_sessions(user=user, keep_session_id=current_session_id)
        record_audit_event(action="user.password_change", actor=user, object_type="user", object_id=str(user.pk),
                           changes={"other_sessions_revoked": revoked}, request=request)
    lockout.reset(email=user.email)


def admin_password_reset(*, user: User, request=None) -> None:
    """After staff set a new password in the admin: every device of the account is signed out."""
    with transaction.atomic():
        revoked = revoke_other_sessions(user=user)
        record_audit_event(action="user.password_reset_by_admin", object_type="user", object_id=str(user.pk),
                           changes={"sessions_revoked": revoked}, request=request)


def delete_account(*, user: User, actor: User | None = None, request=None) -> None:
    """Delete the user and everything they own; their refresh tokens stop working.

    `actor` is who deletes (staff in the admin); by default the user themself.
    """
    with transaction.atomic():
        record_audit_event(action="user.delete", actor=actor or user, object_type="user", object_id=str(user.pk),
                           changes={"email": user.email, "auth_provider": user.auth_provider}, request=request)
        revoke_other_sessions(user=user)
        blacklist_all_refresh_tokens(user=user)
        user.delete()
