"""One-time codes and links that prove the reader of a mail owns its address.

A token has two secrets, mailed together: a six-digit code the learner types into the app
and a long token for the link that opens it. Issuing a token replaces the user's earlier
ones of the same purpose; a wrong code counts against the token, which dies after
ACCOUNT_CODE_MAX_ATTEMPTS of them. Redeeming happens under a row lock, so a token works once.
"""

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.exceptions import AccountTokenInvalid
from accounts.models import AccountToken, User, normalise_email

CODE_DIGITS = 6
T = TypeVar("T")
Purpose = AccountToken.Purpose


@dataclass(frozen=True)
class IssuedToken:
    token: AccountToken
    code: str
    link_token: str


def _code_digest(token_id, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{token_id}:{code}".encode(), hashlib.sha256).hexdigest()


def _link_digest(link_token: str) -> str:
    return hashlib.sha256(link_token.encode()).hexdigest()


def _usable():
    return AccountToken.objects.usable().filter(failed_attempts__lt=settings.ACCOUNT_CODE_MAX_ATTEMPTS)


def issue(*, user: User, purpose: str, email: str, lifetime: timedelta) -> IssuedToken:
    """A new token for `user`; the earlier unused ones of `purpose` stop working."""
    code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
    link_token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        discard(user=user, purpose=purpose)
        token = AccountToken(user=user, purpose=purpose, email=normalise_email(email), created_at=now,
                             expires_at=now + lifetime, link_digest=_link_digest(link_token))
        token.code_digest = _code_digest(token.pk, code)
        token.save()
    return IssuedToken(token=token, code=code, link_token=link_token)


def discard(*, user: User, purpose: str) -> int:
    """End every unused token of `purpose` of `user` (a newer one, a password change); returns how many."""
    deleted, _ = AccountToken.objects.filter(user=user, purpose=purpose, used_at__isnull=True).delete()
    return deleted


def _candidate(*, purpose: str, link_token: str | None, code: str | None, user: User | None,
               email: str | None) -> AccountToken:
    tokens = _usable().filter(purpose=purpose)
    if link_token:
        token = tokens.filter(link_digest=_link_digest(link_token)).first()
        if token is None:
            raise AccountTokenInvalid()
        return token
    if not code:
        raise AccountTokenInvalid()
    if user is not None:
        tokens = tokens.filter(user=user)
    elif email:
        # One query whether or not the address has an account: the time says nothing either way.
        tokens = tokens.filter(user__email=normalise_email(email))
    else:
        raise AccountTokenInvalid()
    token = tokens.first()
    if token is None:
        raise AccountTokenInvalid()
    if not hmac.compare_digest(token.code_digest, _code_digest(token.pk, code.strip())):
        # Counted at once (autocommit), even though the request then fails.
        AccountToken.objects.filter(pk=token.pk).update(failed_attempts=F("failed_attempts") + 1)
        raise AccountTokenInvalid()
    return token


def redeem(*, purpose: str, then: Callable[[AccountToken], T], link_token: str | None = None,
           code: str | None = None, user: User | None = None, email: str | None = None) -> T:
    """Use the token a link or a code stands for and run `then(token)`; AccountTokenInvalid if there is none.

    A code needs the user it was sent to (signed in) or the address (password reset). The
    token is locked and marked used in one transaction with `then`: if `then` raises (a weak
    new password) the token stays usable, and two redemptions cannot both succeed. Call it
    outside a transaction, so that a wrong code stays counted.
    """
    candidate = _candidate(purpose=purpose, link_token=link_token, code=code, user=user, email=email)
    with transaction.atomic():
        token = _usable().select_for_update().filter(pk=candidate.pk).first()
        if token is None:  # used or replaced meanwhile
            raise AccountTokenInvalid()
        token.used_at = timezone.now()
        token.save(update_fields=["used_at"])
        token.user = User.objects.select_for_update().get(pk=token.user_id)
        return then(token)


def purge_ended(*, older_than: timedelta = timedelta(days=7)) -> int:
    """Delete tokens that were used or expired more than `older_than` ago."""
    cutoff = timezone.now() - older_than
    deleted, _ = AccountToken.objects.filter(Q(expires_at__lt=cutoff) | Q(used_at__lt=cutoff)).delete()
    return deleted
