import pytest

from tests.accounts.provider_server import ProviderServer

GOOGLE_CLIENT_IDS = ["ios.apps.googleusercontent.com", "android.apps.googleusercontent.com",
                     "web.apps.googleusercontent.com"]
APPLE_CLIENT_IDS = ["com.example.englishapp", "com.example.englishapp.web"]
FACEBOOK_APP_ID = "1234567890"
FACEBOOK_APP_SECRET = "fb-test-app-secret"


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    """The per-IP API rate limits (tested in tests/core) would answer 429 before the account
    lockout these tests exercise; every test request comes from 127.0.0.1."""
    settings.RATE_LIMIT_ENABLED = False


@pytest.fixture
def providers(settings):
    """A local Google/Apple/Facebook stand-in, with settings pointing at it."""
    server = ProviderServer().start()
    server.facebook_app_token = f"{FACEBOOK_APP_ID}|{FACEBOOK_APP_SECRET}"
    server.facebook_app_secret = FACEBOOK_APP_SECRET
    settings.GOOGLE_CLIENT_IDS = GOOGLE_CLIENT_IDS
    settings.GOOGLE_JWKS_URL = f"{server.base_url}/google/jwks"
    settings.GOOGLE_ISSUERS = ["https://accounts.google.com", "accounts.google.com"]
    settings.APPLE_CLIENT_IDS = APPLE_CLIENT_IDS
    settings.APPLE_JWKS_URL = f"{server.base_url}/apple/jwks"
    settings.APPLE_ISSUERS = ["https://appleid.apple.com"]
    settings.FACEBOOK_APP_ID = FACEBOOK_APP_ID
    settings.FACEBOOK_APP_SECRET = FACEBOOK_APP_SECRET
    settings.FACEBOOK_GRAPH_URL = f"{server.base_url}/graph"
    settings.SOCIAL_AUTH_TIMEOUT_SECONDS = 2
    yield server
    server.stop()
