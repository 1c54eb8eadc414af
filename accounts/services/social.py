"""Sign in (or up) with a verified Google, Apple or Facebook identity."""

from django.db import IntegrityError, transaction

import audit
from accounts.exceptions import AccountDisabled, EmailNotVerified, SocialEmailMissing
from accounts.models import User
from accounts.services.tokens import TokenPair, start_session
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
                                    auth_provider=identity.provider, auth_provider_id=identity.subject)


def social_sign_in(*, provider: str, token: str, name: str = "") -> tuple[User, TokenPair, bool]:
    """Verify the provider token, then sign the matching account in or create it.

    Matches first by provider account id, then by verified email. Returns (user, tokens, created).
    """
    identity = verify_social_token(provider=provider, token=token)
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
        if not created and user.auth_provider == provider and not user.auth_provider_id:
            user.auth_provider_id = identity.subject
            user.save(update_fields=["auth_provider_id", "updated_at"])
        if created:
            audit.record("user.register", user, {"auth_provider": provider}, actor=user)
        audit.record("user.login", user, {"method": provider}, actor=user)
        pair = start_session(user=user, auth_method=provider)
    if created:
        metrics.record_registration(method=provider)
    return user, pair, created
