"""Proving an address: verification after sign-up, and changing the address of an account.

Unverified accounts may do everything a learner does (the app nags while `email_verified`
is false); what they cannot do is keep a password against a verified social identity with
the same address (see services/social.py). An email change takes effect only when the new
address confirms it, and the old address is told.
"""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

import audit
from accounts.exceptions import AccountTokenInvalid, EmailAlreadyVerified, EmailTaken, SameEmail
from accounts.models import AccountToken, User, normalise_email
from accounts.services import account_tokens, lockout, mails
from accounts.services.passwords import confirm_current_password
from core import mail

Purpose = AccountToken.Purpose


def queue_verification_mail(*, user: User, language: str, required: bool = True) -> None:
    """Ask a worker to mail `user` a verification code and link (after the current transaction commits)."""
    if user.email_verified:
        raise EmailAlreadyVerified()
    from accounts.tasks import send_verification_mail

    transaction.on_commit(lambda: mails.queue(send_verification_mail, str(user.pk), language,
                                              kind=Purpose.VERIFY_EMAIL, required=required))


def send_verification_mail(*, user_id: str, language: str) -> bool:
    """On the worker: a new code for the account's address, mailed. False if there was nothing to send."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or user.email_verified or not mails.within_budget(kind=Purpose.VERIFY_EMAIL, email=user.email):
        return False
    issued = account_tokens.issue(user=user, purpose=Purpose.VERIFY_EMAIL, email=user.email,
                                  lifetime=timedelta(hours=settings.EMAIL_VERIFICATION_TOKEN_HOURS))
    mails.send(kind=Purpose.VERIFY_EMAIL, template="verify_email", to=user.email, language=language,
               context={"name": user.name, "code": issued.code,
                        "link": mails.app_link("verify-email", issued.link_token),
                        "hours": settings.EMAIL_VERIFICATION_TOKEN_HOURS})
    return True


def _mark_verified(user: User, *, via: str) -> None:
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at", "updated_at"])
    audit.record("user.email_verified", user, {"email": user.email, "via": via}, actor=user)


def verify_email(*, user: User | None = None, code: str | None = None, link_token: str | None = None) -> User:
    """Mark the address verified with the mailed code (`user` signed in) or link token."""
    if user is not None and user.email_verified and not link_token:
        raise EmailAlreadyVerified()

    def verified(token: AccountToken) -> User:
        if normalise_email(token.email) != token.user.email:
            raise AccountTokenInvalid()  # sent to an address the account no longer has
        _mark_verified(token.user, via="link" if link_token else "code")
        return token.user

    return account_tokens.redeem(purpose=Purpose.VERIFY_EMAIL, link_token=link_token, code=code, user=user,
                                 then=verified)


def request_email_change(*, user: User, new_email: str, password: str | None, language: str) -> str:
    """Mail a confirmation code to `new_email`; nothing changes until it is confirmed.

    Accounts with a password must give it: an access token alone (a phone left unlocked)
    must not be enough to move the account to another address.
    """
    new_email = normalise_email(new_email)
    if new_email == user.email:
        raise SameEmail(errors={"new_email": [str(SameEmail.detail)]})
    if user.has_usable_password():
        confirm_current_password(user=user, password=password, field="password",
                                 failure_event="user.email_change_failed")
        lockout.reset(email=user.email)
    if User.objects.filter(email__iexact=new_email).exists():
        raise EmailTaken()
    audit.record("user.email_change_requested", user, {"new_email": new_email}, actor=user)
    from accounts.tasks import send_email_change_mail

    mails.queue(send_email_change_mail, str(user.pk), new_email, language, kind=Purpose.CHANGE_EMAIL)
    return new_email


def send_email_change_mail(*, user_id: str, new_email: str, language: str) -> bool:
    """On the worker: the confirmation code, mailed to the new address."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not mails.within_budget(kind=Purpose.CHANGE_EMAIL, email=new_email):
        return False
    issued = account_tokens.issue(user=user, purpose=Purpose.CHANGE_EMAIL, email=new_email,
                                  lifetime=timedelta(minutes=settings.EMAIL_CHANGE_TOKEN_MINUTES))
    mails.send(kind=Purpose.CHANGE_EMAIL, template="change_email", to=new_email, language=language,
               context={"name": user.name, "code": issued.code, "old_email": user.email, "new_email": new_email,
                        "link": mails.app_link("confirm-email", issued.link_token),
                        "minutes": settings.EMAIL_CHANGE_TOKEN_MINUTES})
    return True


def confirm_email_change(*, user: User | None = None, code: str | None = None, link_token: str | None = None,
                         language: str) -> User:
    """Move the account to the confirmed address; the old address is told, its reset links stop working."""

    def changed(token: AccountToken) -> tuple[User, str]:
        account, old_email = token.user, token.user.email
        if User.objects.filter(email__iexact=token.email).exclude(pk=account.pk).exists():
            raise EmailTaken()
        account.email, account.email_verified_at = token.email, timezone.now()
        try:
            with transaction.atomic():
                account.save(update_fields=["email", "email_verified_at", "updated_at"])
        except IntegrityError as exc:  # taken by a registration a moment ago
            raise EmailTaken() from exc
        account_tokens.discard(user=account, purpose=Purpose.RESET_PASSWORD)
        account_tokens.discard(user=account, purpose=Purpose.VERIFY_EMAIL)
        audit.record("user.email_changed", account, {"before": old_email, "after": account.email}, actor=account)
        return account, old_email

    account, old_email = account_tokens.redeem(purpose=Purpose.CHANGE_EMAIL, link_token=link_token, code=code,
                                               user=user, then=changed)
    notice = mail.render("accounts/email/email_changed",
                         {"product": settings.PRODUCT_NAME, "name": account.name, "old_email": old_email,
                          "new_email": account.email}, to=old_email, language=language)
    mails.queue_mail(mail=notice, kind="email_changed")
    return account
