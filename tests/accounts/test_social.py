"""Social sign-in against a local Google/Apple/Facebook stand-in (tests/accounts/provider_server.py)."""

import hashlib
import time

import pytest
from rest_framework.test import APIClient

from accounts.models import DeviceSession, User
from audit.models import AuditLog
from tests.accounts.conftest import APPLE_CLIENT_IDS, FACEBOOK_APP_ID, GOOGLE_CLIENT_IDS
from tests.accounts.factories import UserFactory
from tests.accounts.helpers import LOGIN, ME, SOCIAL, client_for
from tests.accounts.provider_server import FacebookUser, SigningKey

pytestmark = pytest.mark.django_db

ISSUERS = {"google": "https://accounts.google.com", "apple": "https://appleid.apple.com"}
# The nonce an app makes per Apple sign-in: SHA-256 of it goes to Apple (the token's claim), the value to us.
APPLE_NONCE = "n0nce-made-by-the-app-for-one-sign-in"


def id_token(providers, provider: str, *, sub="subject-1", email="person@example.com", email_verified=True,
             aud=None, iss=None, exp_in=600, key: SigningKey | None = None, kid=None, **extra) -> str:
    now = int(time.time())
    audience = aud or (GOOGLE_CLIENT_IDS[1] if provider == "google" else APPLE_CLIENT_IDS[0])
    claims = {"iss": iss or ISSUERS[provider], "aud": audience, "sub": sub, "iat": now - 10, "exp": now + exp_in,
              **extra}
    if provider == "apple":
        claims.setdefault("nonce", hashlib.sha256(APPLE_NONCE.encode()).hexdigest())
    if email is not None:
        claims["email"] = email
        # Apple sends the flag as a string.
        claims["email_verified"] = ("true" if email_verified else "false") if provider == "apple" else email_verified
    signer = key or (providers.google_key if provider == "google" else providers.apple_key)
    own_key = providers.google_key if provider == "google" else providers.apple_key
    return signer.sign(claims, kid=kid or own_key.kid)


def facebook_token(providers, *, token="fb-user-token", user_id="fb-1", email="person@example.com",
                   name="Face Book", **fields) -> str:
    providers.facebook_tokens[token] = FacebookUser(user_id=user_id, name=name, email=email,
                                                    app_id=FACEBOOK_APP_ID, **fields)
    return token


def valid_token(providers, provider: str, **kwargs) -> str:
    if provider == "facebook":
        return facebook_token(providers, **kwargs)
    return id_token(providers, provider, **kwargs)


def social(provider: str, token: str, **extra):
    if provider == "apple":
        extra.setdefault("nonce", APPLE_NONCE)
    return APIClient().post(SOCIAL, {"provider": provider, "token": token, **extra})


@pytest.mark.parametrize("provider", ["google", "apple", "facebook"])
def test_valid_token_creates_an_account_without_a_password(providers, provider):
    response = social(provider, valid_token(providers, provider), name="Nguyen Van A")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"user", "access_token", "refresh_token", "token_type"}
    assert body["token_type"] == "Bearer"
    assert body["user"]["email"] == "person@example.com"
    assert body["user"]["auth_provider"] == provider
    assert body["user"]["name"] == "Nguyen Van A"
    user = User.objects.get(email="person@example.com")
    assert user.auth_provider_id in {"subject-1", "fb-1"}
    assert not user.has_usable_password()
    assert client_for(body["access_token"]).get(ME).json()["id"] == str(user.pk)
    assert DeviceSession.objects.get(user=user).auth_method == provider
    assert {"user.register", "user.login"} <= set(AuditLog.objects.filter(actor=user).values_list("action", flat=True))
    # The account has no password to guess.
    assert APIClient().post(LOGIN, {"email": "person@example.com", "password": "anything-at-all"}).status_code == 401


@pytest.mark.parametrize("provider", ["google", "apple", "facebook"])
def test_signing_in_again_returns_the_same_account(providers, provider):
    first = social(provider, valid_token(providers, provider)).json()
    second = social(provider, valid_token(providers, provider)).json()
    assert first["user"]["id"] == second["user"]["id"]
    assert User.objects.count() == 1
    assert DeviceSession.objects.count() == 2


@pytest.mark.parametrize("provider", ["google", "apple", "facebook"])
def test_an_existing_account_with_the_same_verified_email_is_signed_in(providers, provider):
    existing = UserFactory(email="person@example.com", name="Existing", email_verified=True)
    response = social(provider, valid_token(providers, provider, email="Person@Example.com"))
    assert response.status_code == 200
    assert response.json()["user"]["id"] == str(existing.pk)
    assert response.json()["user"]["name"] == "Existing"
    assert User.objects.count() == 1
    existing.refresh_from_db()
    assert existing.auth_provider == "email" and existing.has_usable_password()


def test_the_provider_name_is_used_when_the_app_sends_none(providers):
    response = social("google", id_token(providers, "google", name="Google Name"))
    assert response.json()["user"]["name"] == "Google Name"
    response = social("apple", id_token(providers, "apple", sub="a-2", email="relay@privaterelay.appleid.com"))
    assert response.json()["user"]["name"] == "relay"


@pytest.mark.parametrize("audience", GOOGLE_CLIENT_IDS)
def test_every_configured_google_client_is_accepted(providers, audience):
    assert social("google", id_token(providers, "google", aud=audience)).status_code == 200


@pytest.mark.parametrize("provider", ["google", "apple"])
@pytest.mark.parametrize("case, overrides, detail", [
    ("wrong audience", {"aud": "someone-elses-client-id"}, "The token was issued for another app."),
    ("expired", {"exp_in": -120}, "The token has expired."),
    ("wrong issuer", {"iss": "https://evil.example.com"}, "The token was not issued by the provider."),
    ("bad signature", {"key": "other"}, "The token signature is not valid."),
    ("unknown key", {"kid": "kid-nobody-published"}, "The token is not signed by a key of the provider."),
])
def test_invalid_id_tokens_are_refused(providers, provider, case, overrides, detail):
    if overrides.get("key") == "other":
        overrides = {"key": SigningKey.generate()}  # same kid as the provider's, different private key
    response = social(provider, id_token(providers, provider, **overrides))
    assert response.status_code == 401, case
    assert response.json() == {"code": "social_token_invalid", "detail": detail}
    assert not User.objects.exists()
    assert not DeviceSession.objects.exists()


@pytest.mark.parametrize("provider", ["google", "apple"])
def test_malformed_and_unsigned_tokens_are_refused(providers, provider):
    import jwt

    unsigned = jwt.encode({"sub": "x", "aud": "a", "iss": ISSUERS[provider]}, key=None, algorithm="none")
    hs256 = jwt.encode({"sub": "x"}, "shared-secret-shared-secret-0123", algorithm="HS256")
    for token in ("not-a-jwt", unsigned, hs256):
        response = social(provider, token)
        assert response.status_code == 401
        assert response.json()["code"] == "social_token_invalid"


@pytest.mark.parametrize("provider", ["google", "apple"])
def test_an_unverified_email_is_refused(providers, provider):
    UserFactory(email="person@example.com")
    response = social(provider, id_token(providers, provider, email_verified=False))
    assert response.status_code == 401
    assert response.json()["code"] == "email_not_verified"
    assert DeviceSession.objects.count() == 0


def test_an_unverified_email_still_signs_in_the_already_linked_account(providers):
    social("google", id_token(providers, "google"))
    response = social("google", id_token(providers, "google", email_verified=False))
    assert response.status_code == 200


@pytest.mark.parametrize("provider", ["google", "apple", "facebook"])
def test_provider_down_is_a_503(providers, provider):
    token = valid_token(providers, provider)
    providers.stop()  # connection refused
    response = social(provider, token)
    assert response.status_code == 503
    assert response.json()["code"] == "provider_unavailable"
    assert not User.objects.exists()


@pytest.mark.parametrize("provider", ["google", "apple", "facebook"])
def test_provider_errors_are_a_503(providers, provider):
    token = valid_token(providers, provider)
    providers.failing = True  # HTTP 500 everywhere
    response = social(provider, token)
    assert response.status_code == 503
    assert response.json()["code"] == "provider_unavailable"


def test_signing_keys_are_cached(providers):
    for sub in ("a", "b", "c"):
        assert social("google", id_token(providers, "google", sub=sub, email=f"{sub}@example.com")).status_code == 200
    assert providers.requests.count("/google/jwks") == 1


@pytest.mark.parametrize("provider, setting, value", [
    ("google", "GOOGLE_CLIENT_IDS", []),
    ("apple", "APPLE_CLIENT_IDS", []),
    ("facebook", "FACEBOOK_APP_SECRET", ""),
])
def test_an_unconfigured_provider_is_a_400(providers, settings, provider, setting, value):
    setattr(settings, setting, value)
    response = social(provider, valid_token(providers, provider))
    assert response.status_code == 400
    assert response.json()["code"] == "provider_not_configured"
    assert providers.requests == []


def test_an_unknown_provider_is_a_400(providers):
    response = social("myspace", "token")
    assert response.status_code == 400
    assert "provider" in response.json()["errors"]


def test_a_deactivated_account_cannot_sign_in_socially(providers):
    UserFactory(email="person@example.com", is_active=False)
    response = social("google", id_token(providers, "google"))
    assert response.status_code == 403
    assert response.json()["code"] == "account_disabled"


# --- Facebook specifics ----------------------------------------------------------------------------


def test_facebook_token_of_another_app_is_refused(providers):
    token = facebook_token(providers)
    providers.facebook_tokens[token].app_id = "999999"
    response = social("facebook", token)
    assert response.status_code == 401
    assert response.json() == {"code": "social_token_invalid", "detail": "The token was issued for another app."}


def test_facebook_expired_token_is_refused(providers):
    token = facebook_token(providers, expires_at=int(time.time()) - 60)
    response = social("facebook", token)
    assert response.status_code == 401
    assert response.json()["detail"] == "The token has expired."


@pytest.mark.parametrize("token", ["unknown-token", "revoked-token"])
def test_facebook_invalid_token_is_refused(providers, token):
    facebook_token(providers, token="revoked-token", is_valid=False)
    response = social("facebook", token)
    assert response.status_code == 401
    assert response.json()["code"] == "social_token_invalid"


def test_facebook_without_an_email_needs_one_to_create_an_account(providers):
    response = social("facebook", facebook_token(providers, email=None))
    assert response.status_code == 400
    assert response.json()["code"] == "social_email_missing"
    assert not User.objects.exists()


def test_facebook_without_an_email_signs_in_an_already_linked_account(providers):
    first = social("facebook", facebook_token(providers)).json()
    response = social("facebook", facebook_token(providers, token="second-token", email=None))
    assert response.status_code == 200
    assert response.json()["user"]["id"] == first["user"]["id"]


def test_facebook_wrong_app_secret_is_not_accepted(providers, settings):
    settings.FACEBOOK_APP_SECRET = "a-different-secret"
    response = social("facebook", facebook_token(providers))
    assert response.status_code == 401
    assert not User.objects.exists()


def test_apple_needs_the_nonce_the_app_made(providers):
    token = id_token(providers, "apple", sub="a-nonce")

    missing = APIClient().post(SOCIAL, {"provider": "apple", "token": token})
    wrong = social("apple", token, nonce="a-nonce-of-another-sign-in")
    as_sent_to_apple = social("apple", id_token(providers, "apple", sub="a-raw", nonce=APPLE_NONCE))

    assert missing.status_code == 400
    assert missing.json()["code"] == "nonce_required"
    assert wrong.status_code == 401
    assert wrong.json()["code"] == "social_token_invalid"
    assert as_sent_to_apple.status_code == 200  # an app that passed the nonce itself, not its hash
    assert social("apple", token).status_code == 200


def test_a_token_without_a_nonce_is_refused_for_apple(providers, settings):
    token = id_token(providers, "apple", sub="a-old", nonce=None)

    assert social("apple", token).json()["code"] == "social_token_invalid"
    settings.APPLE_REQUIRE_NONCE = False
    assert APIClient().post(SOCIAL, {"provider": "apple", "token": token}).status_code == 200


def test_google_checks_a_nonce_when_the_app_sends_one(providers):
    token = id_token(providers, "google", sub="g-nonce", nonce=hashlib.sha256(b"google-nonce").hexdigest())

    assert social("google", token, nonce="another").status_code == 401
    assert social("google", token, nonce="google-nonce").status_code == 200
