"""Forgotten passwords: a mailed code or link sets a new one and signs every device out.

The request for a reset answers the same, in the same time, whether or not the address
has an account: the request only queues a task; the worker looks the address up and mails
only if there is an account (any account: a social-only learner gets a password this way).
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

import audit
from accounts.models import AccountToken, User, normalise_email
from accounts.services import account_tokens, lockout, mails
from accounts.services.passwords import check_password_strength
from accounts.services.tokens import blacklist_all_refresh_tokens, revoke_other_sessions
from core.observability import metrics

Purpose = AccountToken.Purpose


def request_password_reset(*, email: str, language: str) -> None:
    """Queue the reset mail for `email`; 503 only if the broker is down (for every address alike)."""
    from accounts.tasks import send_password_reset_mail

    mails.queue(send_password_reset_mail, normalise_email(email), language, kind=Purpose.RESET_PASSWORD)


def send_password_reset_mail(*, email: str, language: str) -> bool:
    """On the worker: a reset code for the account of `email`, if there is one. False when nothing was sent."""
    user = User.objects.filter(email__iexact=normalise_email(email), is_active=True).first()
    if user is None:
        metrics.record_mail(kind=Purpose.RESET_PASSWORD, outcome="skipped")
        return False
    if not mails.within_budget(kind=Purpose.RESET_PASSWORD, email=user.email):
        return False
    issued = account_tokens.issue(user=user, purpose=Purpose.RESET_PASSWORD, email=user.email,
                                  lifetime=timedelta(minutes=settings.PASSWORD_RESET_TOKEN_MINUTES))
    audit.record("user.password_reset_requested", user, actor=None, actor_email=user.email)
    mails.send(kind=Purpose.RESET_PASSWORD, template="reset_password", to=user.email, language=language,
               context={"name": user.name, "code": issued.code,
                        "link": mails.app_link("reset-password", issued.link_token),
                        "minutes": settings.PASSWORD_RESET_TOKEN_MINUTES})
    return True


def sign_out_everywhere(*, user: User, event: str, actor: User | None) -> int:
    """After a password was set by someone who is not signed in: every device and refresh token ends."""
    revoked = revoke_other_sessions(user=user)
    blacklist_all_refresh_tokens(user=user)
    account_tokens.discard(user=user, purpose=Purpose.RESET_PASSWORD)
    audit.record(event, user, {"sessions_revoked": revoked}, actor=actor)
    return revoked


def reset_password(*, new_password: str, email: str | None = None, code: str | None = None,
                   link_token: str | None = None) -> User:
    """Set a new password with the mailed code (and the address) or link token."""

    def reset(token: AccountToken) -> User:
        user = token.user
        check_password_strength(new_password, user=user, field="new_password")
        user.set_password(new_password)
        # Reading the mail proved the address too.
        user.email_verified_at = user.email_verified_at or timezone.now()
        user.save(update_fields=["password", "email_verified_at", "updated_at"])
        sign_out_everywhere(user=user, event="user.password_reset", actor=user)
        return user

    user = account_tokens.redeem(purpose=Purpose.RESET_PASSWORD, link_token=link_token, code=code, email=email,
                                 then=reset)
    lockout.reset(email=user.email)  # the owner is back: earlier failed guesses no longer count
    return user


def staff_password_was_reset(*, user: User) -> None:
    """Staff set a new password through the admin's forgotten-password link: every device is signed out."""
    with transaction.atomic():
        sign_out_everywhere(user=user, event="user.password_reset", actor=user)
    lockout.reset(email=user.email)

