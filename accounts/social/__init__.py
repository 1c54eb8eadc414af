"""Verification of social sign-in tokens. Each provider's code talks to the provider itself."""

import hashlib
import hmac

from django.conf import settings
from django.utils.translation import gettext as _

from accounts.exceptions import NonceRequired, ProviderNotConfigured, SocialTokenInvalid
from accounts.models import AuthProvider
from accounts.social import facebook, oidc
from accounts.social.identity import SocialIdentity


def _check_nonce(identity: SocialIdentity, nonce: str, *, required: bool) -> None:
    """The token must carry the nonce the app made for this sign-in, so a captured token cannot be replayed.

    Apple's guidelines have the app send SHA-256(nonce) to Apple and the raw nonce to us, so the
    claim is compared with both the hash and the value itself.
    """
    if not nonce and not identity.nonce and not required:
        return
    if not nonce:
        raise NonceRequired(errors={"nonce": [str(NonceRequired.detail)]})
    hashed = hashlib.sha256(nonce.encode()).hexdigest()
    if not identity.nonce or not (hmac.compare_digest(identity.nonce, hashed)
                                  or hmac.compare_digest(identity.nonce, nonce)):
        raise SocialTokenInvalid(_("The token was not issued for this sign-in (nonce mismatch)."))


def verify_social_token(*, provider: str, token: str, nonce: str = "") -> SocialIdentity:
    """The identity a provider token proves, or a domain error (400/401/503).

    `nonce`: the one the app passed to the provider; required for Apple (APPLE_REQUIRE_NONCE),
    checked for Google when given.
    """
    if provider == AuthProvider.GOOGLE:
        if not settings.GOOGLE_CLIENT_IDS:
            raise ProviderNotConfigured(_("Google sign-in is not configured on this server."))
        identity = oidc.verify_id_token(provider=provider, token=token, jwks_url=settings.GOOGLE_JWKS_URL,
                                        audiences=settings.GOOGLE_CLIENT_IDS, issuers=settings.GOOGLE_ISSUERS)
        if nonce:
            _check_nonce(identity, nonce, required=True)
        return identity
    if provider == AuthProvider.APPLE:
        if not settings.APPLE_CLIENT_IDS:
            raise ProviderNotConfigured(_("Apple sign-in is not configured on this server."))
        identity = oidc.verify_id_token(provider=provider, token=token, jwks_url=settings.APPLE_JWKS_URL,
                                        audiences=settings.APPLE_CLIENT_IDS, issuers=settings.APPLE_ISSUERS)
        _check_nonce(identity, nonce, required=settings.APPLE_REQUIRE_NONCE)
        return identity
    if provider == AuthProvider.FACEBOOK:
        if not (settings.FACEBOOK_APP_ID and settings.FACEBOOK_APP_SECRET):
            raise ProviderNotConfigured(_("Facebook sign-in is not configured on this server."))
        return facebook.verify_access_token(token=token)
    raise ProviderNotConfigured(_("Sign-in with '{provider}' is not supported.").format(provider=provider))


__all__ = ["SocialIdentity", "verify_social_token"]
