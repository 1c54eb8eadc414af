"""Google and Apple ID tokens: RS256 JWTs checked against the provider's published keys.

The keys (JWKS) are fetched from a URL in settings and kept in memory for
SOCIAL_JWKS_CACHE_SECONDS; an unknown `kid` triggers one refetch (providers rotate keys).
"""

import logging
import threading

import jwt
from django.conf import settings
from django.utils.translation import gettext as _
from jwt import PyJWKClient
from jwt.exceptions import PyJWKClientConnectionError, PyJWKClientError, PyJWTError

from accounts.exceptions import ProviderUnavailable, SocialTokenInvalid
from accounts.models import normalise_email
from accounts.social.identity import SocialIdentity

logger = logging.getLogger(__name__)

ALGORITHMS = ["RS256"]
# Tolerated clock difference between us and the provider.
LEEWAY_SECONDS = 30

_clients: dict[tuple[str, float, float], PyJWKClient] = {}
_clients_lock = threading.Lock()


def _jwks_client(url: str) -> PyJWKClient:
    key = (url, float(settings.SOCIAL_JWKS_CACHE_SECONDS), float(settings.SOCIAL_AUTH_TIMEOUT_SECONDS))
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = PyJWKClient(url, cache_jwk_set=True, lifespan=key[1], timeout=key[2])
            _clients[key] = client
        return client


def _signing_key(client: PyJWKClient, kid: str | None, provider: str):
    try:
        keys = client.get_signing_keys()
    except PyJWKClientConnectionError as exc:
        logger.warning("%s JWKS unreachable: %s", provider, exc)
        raise ProviderUnavailable() from exc
    except (PyJWKClientError, PyJWTError, ValueError) as exc:  # the provider served something that is no JWKS
        logger.warning("%s JWKS unusable: %s", provider, exc)
        raise ProviderUnavailable() from exc
    key = client.match_kid(keys, kid) if kid else None
    if key is not None:
        return key
    try:
        return client.get_signing_key(kid)
    except PyJWKClientConnectionError as exc:
        raise ProviderUnavailable() from exc
    except (PyJWKClientError, PyJWTError, ValueError) as exc:
        raise SocialTokenInvalid(_("The token is not signed by a key of the provider.")) from exc


def _as_bool(value) -> bool:
    # Apple sends "true"/"false" strings, Google booleans.
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def verify_id_token(*, provider: str, token: str, jwks_url: str, audiences: list[str],
                    issuers: list[str]) -> SocialIdentity:
    try:
        header = jwt.get_unverified_header(token)
    except PyJWTError as exc:
        raise SocialTokenInvalid(_("The token is not a well-formed ID token.")) from exc
    if header.get("alg") not in ALGORITHMS:
        raise SocialTokenInvalid(_("The token uses an unexpected signing algorithm."))

    key = _signing_key(_jwks_client(jwks_url), header.get("kid"), provider)
    try:
        claims = jwt.decode(
            token, key=key.key, algorithms=ALGORITHMS, audience=audiences, issuer=issuers,
            leeway=LEEWAY_SECONDS, options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise SocialTokenInvalid(_("The token has expired.")) from exc
    except jwt.InvalidAudienceError as exc:
        raise SocialTokenInvalid(_("The token was issued for another app.")) from exc
    except jwt.InvalidIssuerError as exc:
        raise SocialTokenInvalid(_("The token was not issued by the provider.")) from exc
    except jwt.InvalidSignatureError as exc:
        raise SocialTokenInvalid(_("The token signature is not valid.")) from exc
    except PyJWTError as exc:
        raise SocialTokenInvalid() from exc

    return SocialIdentity(
        provider=provider,
        subject=str(claims["sub"]),
        email=normalise_email(str(claims.get("email") or "")),
        email_verified=_as_bool(claims.get("email_verified", False)),
        name=str(claims.get("name") or "").strip(),
        nonce=str(claims.get("nonce") or ""),
    )
