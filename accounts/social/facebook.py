"""Facebook access tokens, checked with the Graph API.

debug_token (authenticated with the app token) proves the token is valid and was
issued to our app; /me then gives the profile. Calls carry appsecret_proof so a
stolen user token cannot be replayed through our app secret from elsewhere.
"""

import hashlib
import hmac
import logging
import time

import requests
from django.conf import settings
from django.utils.translation import gettext as _

from accounts.exceptions import ProviderUnavailable, SocialTokenInvalid
from accounts.models import normalise_email
from accounts.social.identity import SocialIdentity

logger = logging.getLogger(__name__)


def _graph_get(path: str, params: dict) -> dict:
    url = f"{settings.FACEBOOK_GRAPH_URL.rstrip('/')}/{path}"
    try:
        response = requests.get(url, params=params, timeout=settings.SOCIAL_AUTH_TIMEOUT_SECONDS)
    except requests.RequestException as exc:
        logger.warning("Facebook Graph API unreachable: %s", type(exc).__name__)
        raise ProviderUnavailable() from exc
    if response.status_code >= 500:
        logger.warning("Facebook Graph API answered %s", response.status_code)
        raise ProviderUnavailable()
    try:
        body = response.json()
    except ValueError as exc:
        raise ProviderUnavailable() from exc
    if response.status_code >= 400 or not isinstance(body, dict) or "error" in body:
        raise SocialTokenInvalid()
    return body


def verify_access_token(*, token: str) -> SocialIdentity:
    app_id, app_secret = settings.FACEBOOK_APP_ID, settings.FACEBOOK_APP_SECRET
    debug = _graph_get("debug_token", {"input_token": token, "access_token": f"{app_id}|{app_secret}"})
    data = debug.get("data") or {}
    if not data.get("is_valid"):
        raise SocialTokenInvalid()
    if str(data.get("app_id")) != str(app_id):
        raise SocialTokenInvalid(_("The token was issued for another app."))
    expires_at = int(data.get("expires_at") or 0)  # 0 means the token does not expire
    if expires_at and expires_at < time.time():
        raise SocialTokenInvalid(_("The token has expired."))

    proof = hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()
    profile = _graph_get("me", {"fields": "id,name,email", "access_token": token, "appsecret_proof": proof})
    user_id = str(profile.get("id") or "")
    if not user_id or user_id != str(data.get("user_id")):
        raise SocialTokenInvalid()
    return SocialIdentity(
        provider="facebook",
        subject=user_id,
        # Facebook only returns an email the person has confirmed.
        email=normalise_email(str(profile.get("email") or "")),
        email_verified=bool(profile.get("email")),
        name=str(profile.get("name") or "").strip(),
    )
