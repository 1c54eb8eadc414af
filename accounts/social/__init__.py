"""Verification of social sign-in tokens. Each provider's code talks to the provider itself."""

from django.conf import settings

from accounts.exceptions import ProviderNotConfigured
from accounts.models import AuthProvider
from accounts.social import facebook, oidc
from accounts.social.identity import SocialIdentity


def verify_social_token(*, provider: str, token: str) -> SocialIdentity:
    """The identity a provider token proves, or a domain error (400/401/503)."""
    if provider == AuthProvider.GOOGLE:
        if not settings.GOOGLE_CLIENT_IDS:
            raise ProviderNotConfigured("Google sign-in is not configured on this server.")
        return oidc.verify_id_token(provider=provider, token=token, jwks_url=settings.GOOGLE_JWKS_URL,
                                    audiences=settings.GOOGLE_CLIENT_IDS, issuers=settings.GOOGLE_ISSUERS)
    if provider == AuthProvider.APPLE:
        if not settings.APPLE_CLIENT_IDS:
            raise ProviderNotConfigured("Apple sign-in is not configured on this server.")
        return oidc.verify_id_token(provider=provider, token=token, jwks_url=settings.APPLE_JWKS_URL,
                                    audiences=settings.APPLE_CLIENT_IDS, issuers=settings.APPLE_ISSUERS)
    if provider == AuthProvider.FACEBOOK:
        if not (settings.FACEBOOK_APP_ID and settings.FACEBOOK_APP_SECRET):
            raise ProviderNotConfigured("Facebook sign-in is not configured on this server.")
        return facebook.verify_access_token(token=token)
    raise ProviderNotConfigured(f"Sign-in with '{provider}' is not supported.")


__all__ = ["SocialIdentity", "verify_social_token"]
