"""Email/password accounts: registration, login, password change, deletion."""

from django.conf import settings
from django.db import IntegrityError, transaction

import audit
from accounts.exceptions import (
    AccountDisabled,
    EmailTaken,
    InvalidCredentials,
    PasswordNotSet,
)
from accounts.models import AccountToken, AuthProvider, User, normalise_email
from accounts.services import account_tokens, lockout
from accounts.services.passwords import check_password_strength, confirm_current_password
from accounts.services.recovery import sign_out_everywhere
from accounts.services.tokens import (
    TokenPair,
    blacklist_all_refresh_tokens,
    revoke_other_sessions,
    start_session,
)
from accounts.services.verification import queue_verification_mail
from core.observability import metrics


def register_user(*, email: str, password: str, name: str, language: str = "en") -> tuple[User, TokenPair]:
    """A new unverified account, signed in on this device; the verification mail is queued."""
    email = normalise_email(email)
    check_password_strength(password, user=User(email=email, name=name), field="password")
    if User.objects.filter(email__iexact=email).exists():
        raise EmailTaken()
    try:
        with transaction.atomic():
            user = User.objects.create_user(email=email, password=password, name=name,
                                            auth_provider=AuthProvider.EMAIL)
            audit.record("user.register", user, {"auth_provider": AuthProvider.EMAIL}, actor=user)
            pair = start_session(user=user, auth_method=AuthProvider.EMAIL)
            # Not required: the account exists either way, and the app offers "send the code again".
            queue_verification_mail(user=user, language=language, required=False)
    except IntegrityError as exc:  # a concurrent registration of the same email won
        raise EmailTaken() from exc
    metrics.record_registration(method=AuthProvider.EMAIL)
    return user, pair


def check_credentials(*, email: str, password: str, method: str = AuthProvider.EMAIL) -> User:
    """The account that `email` and `password` sign in to, under the lockout, audited either way.

    The one password check of the API login and the Django admin's sign-in form (`method`
    "email" or "admin"). Unknown email and wrong password fail alike.
    """
    email = normalise_email(email)
    attempt = lockout.reserve_attempt(email=email)
    user = User.objects.filter(email__iexact=email).first()
    if user is None or not user.has_usable_password():
        # Hash anyway so the response time does not tell whether (or how) the account exists.
        User().set_password(password)
        authenticated = False
    else:
        authenticated = user.check_password(password)

    if not authenticated:
        with transaction.atomic():
            target = user or ("user", "")
            details = {"failures": attempt, "method": method}
            audit.record("user.login_failed", target, details, actor=user, actor_email=email)
            if lockout.is_last_allowed(attempt):
                audit.record("user.locked_out", target,
                             {**details, "window_seconds": settings.LOGIN_LOCKOUT_WINDOW_SECONDS},
                             actor=user, actor_email=email)
        raise InvalidCredentials()
    if not user.is_active:
        raise AccountDisabled()
    lockout.reset(email=email)
    audit.record("user.login", user, {"method": method}, actor=user)
    return user


def login(*, email: str, password: str) -> tuple[User, TokenPair]:
    """Password login with lockout: the account and a new device session."""
    # Not in one transaction with the check: the audit rows of a failure must survive its 401.
    user = check_credentials(email=email, password=password)
    pair = start_session(user=user, auth_method=AuthProvider.EMAIL)
    return user, pair


def change_password(*, user: User, current_password: str, new_password: str,
                    current_session_id: str | None = None) -> None:
    """Set a new password and sign every other device out; this device stays signed in."""
    if not user.has_usable_password():
        raise PasswordNotSet()
    confirm_current_password(user=user, password=current_password, field="current_password",
                             failure_event="user.password_change_failed")
    check_password_strength(new_password, user=user, field="new_password")
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password", "updated_at"])
        revoked = revoke_other_sessions(user=user, keep_session_id=current_session_id)
        # A reset code mailed before the change must not undo it.
        account_tokens.discard(user=user, purpose=AccountToken.Purpose.RESET_PASSWORD)
        audit.record("user.password_change", user, {"other_sessions_revoked": revoked}, actor=user)
    lockout.reset(email=user.email)


def admin_password_reset(*, user: User, actor: User | None = None) -> None:
    """After staff set a new password in the admin: every device of the account is signed out."""
    with transaction.atomic():
        sign_out_everywhere(user=user, event="user.password_reset_by_admin", actor=actor)


def record_admin_creation(*, user: User) -> None:
    """Staff created the account in the admin (the admin's own form saved it)."""
    audit.record("user.admin_create", user, {"email": user.email})


def record_admin_edit(*, user: User, before: dict, after: dict) -> None:
    """Staff changed the account in the admin; `before`/`after` hold only the changed fields."""
    audit.record("user.admin_update", user, {"before": before, "after": after})


def delete_account(*, user: User, actor: User | None = None) -> None:
    """Delete the user and everything they own; their refresh tokens stop working.

    `actor` is who deletes (staff in the admin); by default the user themself.
    """
    with transaction.atomic():
        audit.record("user.delete", user, {"email": user.email, "auth_provider": user.auth_provider},
                     actor=actor or user)
        revoke_other_sessions(user=user)
        blacklist_all_refresh_tokens(user=user)
        user.delete()
