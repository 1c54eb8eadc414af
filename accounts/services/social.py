"""Sign in (or up) with a verified Google, Apple or Facebook identity.

Linking policy: a verified identity signs in the account with the same address. If that
address was never verified (anyone can register any address with a password), whoever set
that password may not be its owner, so on this first verified sign-in the verified identity
takes the account over: the password is removed, every device session and refresh token of
the account is revoked, the address counts as verified and the identity is linked. The
history stays (usually the owner registered earlier and now uses Google); a learner who wants
a password back sets one through a password reset.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone

import audit
from accounts.exceptions import AccountDisabled, EmailNotVerified, SocialEmailMissing
from accounts.models import User
from accounts.services.tokens import (
    TokenPair,
    blacklist_all_refresh_tokens,
    revoke_other_sessions,
    start_session,
)
from accounts.social import SocialIdentity, verify_social_token
from core.observability import metrics


def _find_user(identity: SocialIdentity) -> User | None:
    user = User.objects.filter(auth_provider=identity.provider, auth_provider_id=identity.subject).first()
    if user is not None:
        return user
    if identity.email and not identity.email_verified:
        # An unverified address must never open somebody else's account.
        raise EmailNotVerified()
    if not identity.email:
        raise SocialEmailMissing()
    return User.objects.filter(email__iexact=identity.email).first()


def _create_user(identity: SocialIdentity, name: str) -> User:
    display_name = (name or identity.name or identity.email.split("@", 1)[0])[:150]
    # No password: a social-only account cannot sign in with email and password.
    return User.objects.create_user(email=identity.email, password=None, name=display_name,
                                    auth_provider=identity.provider, auth_provider_id=identity.subject,
                                    email_verified_at=timezone.now())


def _take_over_unverified(user: User, identity: SocialIdentity) -> None:
    """The verified identity becomes the only way into an account whose address nobody verified."""
    had_password = user.has_usable_password()
    user.set_unusable_password()
    user.auth_provider, user.auth_provider_id = identity.provider, identity.subject
    user.email_verified_at = timezone.now()
    user.save(update_fields=["password", "auth_provider", "auth_provider_id", "email_verified_at", "updated_at"])
    revoked = revoke_other_sessions(user=user)
    blacklist_all_refresh_tokens(user=user)
    audit.record("user.unverified_access_removed", user,
                 {"provider": identity.provider, "password_removed": had_password, "sessions_revoked": revoked},
                 actor=user)


def social_sign_in(*, provider: str, token: str, name: str = "", nonce: str = "") -> tuple[User, TokenPair, bool]:
    """Verify the provider token, then sign the matching account in or create it.

    Matches first by provider account id, then by verified email. Returns (user, tokens, created).
    """
    identity = verify_social_token(provider=provider, token=token, nonce=nonce)
    user = _find_user(identity)
    created = False
    if user is None:
        try:
            with transaction.atomic():
                user = _create_user(identity, name)
            created = True
        except IntegrityError:  # the same person signing up twice at once
            user = User.objects.get(email__iexact=identity.email)
    if not user.is_active:
        raise AccountDisabled()

    with transaction.atomic():
        if not created:
            user = User.objects.select_for_update().get(pk=user.pk)
            if user.email_verified_at is None:
                _take_over_unverified(user, identity)
            elif user.auth_provider == provider and not user.auth_provider_id:
                user.auth_provider_id = identity.subject
                user.save(update_fields=["auth_provider_id", "updated_at"])
        if created:
            audit.record("user.register", user, {"auth_provider": provider}, actor=user)
        audit.record("user.login", user, {"method": provider}, actor=user)
        pair = start_session(user=user, auth_method=provider)
    if created:
        metrics.record_registration(method=provider)
    return user, pair, created
