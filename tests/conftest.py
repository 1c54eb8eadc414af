"""Fixtures shared by every app's tests: API clients, storages, and the real services.

PostgreSQL and Redis are used when DATABASE_URL / REDIS_URL are set; the S3 server is
started here. With REQUIRE_SERVICES=1 a missing service fails the run instead of skipping.
"""

import os
import uuid

import pytest
from django.conf import settings
from django.core.cache import cache, caches
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from core.storage import s3_storage_options
from tests.accounts.factories import StaffUserFactory, UserFactory
from tests.s3server import start_s3_server
from tests.smtpserver import SmtpServer

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def _cache_backend() -> str:
    backend = settings.CACHES["default"]["BACKEND"]
    return "redis" if "redis" in backend.lower() else backend.rsplit(".", 1)[-1]


def pytest_report_header(config):
    db = settings.DATABASES["default"]
    return [
        f"database: {db['ENGINE'].rsplit('.', 1)[-1]} ({db.get('HOST') or db.get('NAME')})",
        f"cache: {_cache_backend()} ({settings.CACHES['default'].get('LOCATION')})",
        "storage: local filesystem per test; S3 tests against a SeaweedFS server started by the session",
        f"REQUIRE_SERVICES={int(REQUIRE_SERVICES)}",
    ]


def pytest_sessionstart(session):
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        # A file, not SQLite's shared in-memory database: a worker thread (the Celery worker of the
        # job tests) then waits for a lock instead of failing at once with "table is locked".
        database.setdefault("TEST", {})["NAME"] = os.path.join(
            os.environ.get("TMPDIR", "/tmp"), f"englishapp-test-{os.getpid()}.sqlite3")
        # A throwaway file: no need to wait for the disk on every commit.
        database.setdefault("OPTIONS", {})["init_command"] = "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;"
    if settings.CELERY_BROKER_URL == settings.CACHES["default"].get("LOCATION"):
        raise pytest.UsageError("CELERY_BROKER_URL is the cache's Redis database, which every test empties: "
                                "give the broker another one (e.g. redis://127.0.0.1:6379/14).")
    if not REQUIRE_SERVICES:
        return
    problems = []
    # The engine may be django-prometheus' metered subclass (…db.backends.postgresql) of Django's.
    if not settings.DATABASES["default"]["ENGINE"].endswith(".postgresql"):
        problems.append("DATABASE_URL does not point at PostgreSQL")
    if _cache_backend() != "redis":
        problems.append("REDIS_URL is not set")
    else:
        try:
            cache.set("require-services-probe", 1, 5)
        except Exception as exc:
            problems.append(f"Redis is unreachable: {exc}")
    if problems:
        raise pytest.UsageError("REQUIRE_SERVICES=1 but: " + "; ".join(problems))


@pytest.fixture(autouse=True)
def _isolated_cache_and_media(settings, tmp_path):
    """Each test starts with an empty cache and its own local media folder.

    Passwords use a fast hasher: Argon2 costs ~0.1-0.5 s per hash, paid by every factory
    user and login. tests/accounts/test_password_hashing.py restores the production list.
    """
    _clear_caches()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                    "OPTIONS": {"location": tmp_path / "media"}},
        # The manifest storage of production needs collectstatic; tests serve from the finders.
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    yield
    _clear_caches()


def _clear_caches() -> None:
    # "counters" also forgets what was counted in this process while a test's Redis was down.
    caches["counters"].clear()
    cache.clear()


@pytest.fixture(scope="session")
def s3_server():
    try:
        server = start_s3_server()
    except Exception as exc:
        if REQUIRE_SERVICES:
            pytest.fail(f"S3 server could not start: {exc}")
        pytest.skip(f"S3 server could not start: {exc}")
    yield server
    server.stop()


@pytest.fixture
def s3_storage(settings, s3_server):
    """Switch the default storage to a fresh bucket on the real S3 server."""
    bucket = f"test-{uuid.uuid4().hex[:12]}"
    s3_server.client().create_bucket(Bucket=bucket)
    settings.AWS_STORAGE_BUCKET_NAME = bucket
    settings.AWS_S3_ENDPOINT_URL = s3_server.endpoint_url
    settings.AWS_S3_PUBLIC_ENDPOINT_URL = s3_server.endpoint_url
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": s3_storage_options(
                bucket=bucket, endpoint_url=s3_server.endpoint_url, access_key=s3_server.access_key,
                secret_key=s3_server.secret_key, region=s3_server.region,
            ),
        },
    }
    yield s3_server.client(), bucket


@pytest.fixture(params=["local", "s3"])
def any_storage(request):
    """Run a test once on local storage and once on the S3 server."""
    if request.param == "s3":
        request.getfixturevalue("s3_storage")
    return request.param


def bearer(user) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {RefreshToken.for_user(user).access_token}"}


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def staff_user(db):
    return StaffUserFactory()


@pytest.fixture
def auth_client(user) -> APIClient:
    client = APIClient()
    client.credentials(**bearer(user))
    return client


@pytest.fixture
def staff_client(staff_user) -> APIClient:
    client = APIClient()
    client.credentials(**bearer(staff_user))
    return client


@pytest.fixture(scope="module")
def _running_worker(django_db_setup, django_db_blocker):
    """One worker per module (starting one costs seconds); stopped after it, so it never takes the
    tasks meant for a worker process that another module starts itself."""
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    with django_db_blocker.unblock():
        app.control.purge()  # nothing a previous run left in the queue
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10, loglevel="WARNING"):
            yield app


@pytest.fixture
def celery_worker(transactional_db, _running_worker):
    """A real Celery worker (in a thread of this process) on the configured broker: Redis in CI.

    transactional_db: the worker's own connection sees only committed rows.
    """
    yield _running_worker
    _running_worker.control.purge()


@pytest.fixture(scope="session")
def _smtp_server():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def mail_server(settings, _smtp_server):
    """The real SMTP server the session started, as the app's mail relay; its inbox starts empty."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _smtp_server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    _smtp_server.inbox.clear()
    yield _smtp_server.inbox
    _smtp_server.inbox.clear()
