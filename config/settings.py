"""Settings for every environment, read from environment variables only.

With nothing set the app runs on its embedded defaults (SQLite, local-memory cache,
audio on the local disk, offline scoring). `.env.example` documents every variable.
Sections are grouped by app so each app's settings stay in one place.
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

# The storage gateway reads no setting and loads no app at import time, so settings may use it.
from core.storage import s3_storage_options

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-used-with-debug-on"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "storages",
    "corsheaders",
    "csp",
    "django_prometheus",
    "core",
    "audit",
    "accounts",
    "content",
    "game",
    "courses",
    "rewards",
    "community",
    "scoring",
    "imports",
    "jobs",
]

MIDDLEWARE = [
    # First and last, so request metrics cover every other middleware.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "core.http.middleware.RequestContextMiddleware",
    # Before anything that can answer, so early errors (404, 413) are in the caller's language too.
    "core.http.locale.ApiLocaleMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before anything else that can answer, so preflights and early responses carry CORS headers.
    "corsheaders.middleware.CorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
# True in processes that serve HTTP (config/wsgi.py and asgi.py set it); they get time bounds.
SERVES_WEB_REQUESTS = env.bool("SERVES_WEB_REQUESTS", default=False)
# Seconds a web request's statement may run (PostgreSQL); 0 turns the bound off.
DATABASE_STATEMENT_TIMEOUT = env.float("DATABASE_STATEMENT_TIMEOUT", default=5.0)
# django-prometheus' subclasses of the same backends time every query for /metrics (ours adds the
# client-side deadline to PostgreSQL's).
_METERED_DB_ENGINES = {
    "django.db.backends.postgresql": "core.db.postgresql",
    "django.db.backends.sqlite3": "django_prometheus.db.backends.sqlite3",
}


def _database(url: str) -> dict:
    """One DATABASES entry from its URL; the primary and the replica get the same bounds and backend."""
    database = env.db_url_config(url)
    if database["ENGINE"] == "django.db.backends.sqlite3":
        # The embedded default serves the dev server and the job worker at once: WAL lets reads go on
        # while an import writes, and a write waits up to 20 s for the other process's instead of failing.
        database.setdefault("OPTIONS", {}).update(timeout=20, init_command="PRAGMA journal_mode=WAL;")
    else:
        # Reuse connections across requests; health checks drop ones the server closed.
        database["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
        database["CONN_HEALTH_CHECKS"] = True
        options = database.setdefault("OPTIONS", {})
        options["connect_timeout"] = env.int("DATABASE_CONNECT_TIMEOUT", default=5)
        # A peer that vanished (host down, network cut) is noticed in seconds, even on an idle connection.
        options.update(keepalives=1, keepalives_idle=5, keepalives_interval=2, keepalives_count=3,
                       tcp_user_timeout=10_000)
        if SERVES_WEB_REQUESTS and DATABASE_STATEMENT_TIMEOUT:
            # Web requests only: commands and workers run migrations, the seed and imports, whose
            # statements (an index on a million rows, VACUUM) may rightly take minutes.
            options["options"] = f"-c statement_timeout={int(DATABASE_STATEMENT_TIMEOUT * 1000)}"
            # A frozen server never enforces its own timeout: the client gives up a little later.
            options["client_timeout"] = DATABASE_STATEMENT_TIMEOUT + 2
    database["ENGINE"] = _METERED_DB_ENGINES.get(database["ENGINE"], database["ENGINE"])
    return database


DATABASES = {"default": _database(env.str("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"))}
# A PostgreSQL streaming replica for the views marked `read_replica` (session history; what is cached,
# session details among it, is filled from the primary); empty: every read goes to the primary.
# core/db/router.py decides.
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
# Seconds after a learner's write during which their reads stay on the primary (read-your-writes):
# longer than the replica's usual lag. Remembered in the shared cache, so every process honours it.
DATABASE_REPLICA_STICKY_SECONDS = env.int("DATABASE_REPLICA_STICKY_SECONDS", default=5)
# After a failed connection to the replica, seconds each process reads from the primary before trying it again.
DATABASE_REPLICA_RETRY_SECONDS = env.float("DATABASE_REPLICA_RETRY_SECONDS", default=5.0)
if DATABASE_REPLICA_URL:
    # Tests run on the primary's test database: the alias mirrors it instead of needing a second one.
    DATABASES["replica"] = {**_database(DATABASE_REPLICA_URL), "TEST": {"MIRROR": "default"}}
    DATABASE_ROUTERS = ["core.db.router.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (also rate-limit and lockout counters, and the practice-set sampling cache) ----
# The app runs without Redis (core/cache.py): short socket timeouts, and a circuit breaker
# that skips an unreachable server for CACHE_BREAKER_SECONDS before one call probes it again.
REDIS_URL = env.str("REDIS_URL", default="")
CACHE_SOCKET_TIMEOUT = env.float("CACHE_SOCKET_TIMEOUT", default=0.25)
CACHE_BREAKER_SECONDS = env.float("CACHE_BREAKER_SECONDS", default=5.0)
if REDIS_URL:
    _SHARED_CACHE = {
        # django-redis with hit/miss/failure counters for /metrics, behind the breaker.
        "BACKEND": "core.cache.ResilientRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="englishapp"),
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "SOCKET_CONNECT_TIMEOUT": CACHE_SOCKET_TIMEOUT,
            "SOCKET_TIMEOUT": CACHE_SOCKET_TIMEOUT,
        },
    }
elif env.str("CACHE_DIR", default=""):
    # No Redis, but several processes (`make run`: the dev server and the job worker) that must
    # see each other's invalidations and job progress: a folder they share.
    _SHARED_CACHE = {"BACKEND": "django_prometheus.cache.backends.filebased.FileBasedCache",
                     "LOCATION": env.str("CACHE_DIR")}
else:
    _SHARED_CACHE = {"BACKEND": "django_prometheus.cache.backends.locmem.LocMemCache", "LOCATION": "englishapp"}
CACHES = {
    "default": _SHARED_CACHE,
    # Counters that must keep counting: in this process's memory while "default" is unavailable.
    "counters": {"BACKEND": "core.cache.FallbackCache", "LOCATION": "default"},
}

# --- Storage ----------------------------------------------------------------
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
MEDIA_URL = "/media/"
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))

AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default="") or None
# The endpoint mobile clients reach; presigned URLs are signed for this host.
AWS_S3_PUBLIC_ENDPOINT_URL = env.str("AWS_S3_PUBLIC_ENDPOINT_URL", default="") or AWS_S3_ENDPOINT_URL
AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", default="us-east-1")
AWS_ACCESS_KEY_ID = env.str("AWS_ACCESS_KEY_ID", default="") or None
AWS_SECRET_ACCESS_KEY = env.str("AWS_SECRET_ACCESS_KEY", default="") or None

AUDIO_URL_EXPIRY_SECONDS = env.int("AUDIO_URL_EXPIRY_SECONDS", default=3600)

if AWS_STORAGE_BUCKET_NAME:
    DEFAULT_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": s3_storage_options(
            bucket=AWS_STORAGE_BUCKET_NAME, endpoint_url=AWS_S3_ENDPOINT_URL,
            access_key=AWS_ACCESS_KEY_ID, secret_key=AWS_SECRET_ACCESS_KEY, region=AWS_S3_REGION_NAME,
            url_expiry_seconds=AUDIO_URL_EXPIRY_SECONDS, timeout=env.float("STORAGE_TIMEOUT", default=5.0),
        ),
    }
else:
    DEFAULT_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": MEDIA_ROOT}}

STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# Uploads above this are refused (413) before they reach a service.
MAX_UPLOAD_BYTES = env.int("MAX_UPLOAD_BYTES", default=10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=10 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Django spools each part of a large multipart body to its own open temporary file before it
# counts them: the limit must stay well below the worker's open-files limit (ulimit -n).
DATA_UPLOAD_MAX_NUMBER_FILES = env.int("DATA_UPLOAD_MAX_NUMBER_FILES", default=1000)

# --- Auth -------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# The admin's sign-in form goes through the same lockout and audit as the API login.
AUTHENTICATION_BACKENDS = ["accounts.backends.LockoutModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Signs access and refresh tokens; SECRET_KEY when unset. `check --deploy` warns about a weak one.
JWT_SECRET_KEY = env.str("JWT_SECRET_KEY", default="")
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("ACCESS_TOKEN_EXPIRE_MINUTES", default=60)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("REFRESH_TOKEN_EXPIRE_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": JWT_SECRET_KEY or SECRET_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
}

# --- REST framework and API docs --------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.SessionJWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON operations take (and document) JSON only; views that receive files add multipart
    # themselves. A form or multipart body elsewhere is a 415 before anything is parsed.
    "DEFAULT_PARSER_CLASSES": ["core.api.parsers.JSONParser"],
    # drf-spectacular's AutoSchema, plus each operation's 429 and rate limit.
    "DEFAULT_SCHEMA_CLASS": "core.api.openapi.RateLimitedAutoSchema",
    "EXCEPTION_HANDLER": "core.exceptions.api_exception_handler",
    # One limiter for every view; a view picks its limit with `rate_limit_scope` (see RATE_LIMITS).
    "DEFAULT_THROTTLE_CLASSES": ["core.api.ratelimit.ScopedRateLimit"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append("rest_framework.renderers.BrowsableAPIRenderer")

SPECTACULAR_SETTINGS = {
    "TITLE": "English Practice API",
    "DESCRIPTION": "Backend of the English-practice mobile app: accounts, practice sets, sessions, scoring, imports.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
}

# --- Logging ----------------------------------------------------------------
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "core.observability.logging.RequestContextFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "text",
            "filters": ["request_context"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Our access log replaces Django's per-request server lines.
        "django.server": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
    },
}

# --- Internationalisation ---------------------------------------------------
# The API (error texts) and the mails follow the caller's Accept-Language among LANGUAGES
# (core/http/locale.py); the admin stays in LANGUAGE_CODE, the language its screens are written in.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("vi", "Tiếng Việt")]
# One catalogue for the whole project: `make messages` updates it, and the compiled .mo is committed.
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- accounts ---------------------------------------------------------------
# Account lockout (accounts/services/lockout.py): this many password attempts for one email from
# one address within the window answer 429 until the window (from the first attempt) has passed.
LOGIN_LOCKOUT_ATTEMPTS = env.int("LOGIN_LOCKOUT_ATTEMPTS", default=5)
LOGIN_LOCKOUT_WINDOW_SECONDS = env.int("LOGIN_LOCKOUT_WINDOW_SECONDS", default=15 * 60)
# And from any address: a slower budget per account, against guesses spread over many addresses.
LOGIN_LOCKOUT_ACCOUNT_ATTEMPTS = env.int("LOGIN_LOCKOUT_ACCOUNT_ATTEMPTS", default=50)
LOGIN_LOCKOUT_ACCOUNT_WINDOW_SECONDS = env.int("LOGIN_LOCKOUT_ACCOUNT_WINDOW_SECONDS", default=60 * 60)

# Social sign-in. A provider with no client/app id configured answers 400 provider_not_configured.
# Google and Apple ID tokens are checked against the provider's JWKS; the audience must be one of
# the app's client ids (iOS, Android and web clients differ).
GOOGLE_CLIENT_IDS = env.list("GOOGLE_CLIENT_IDS", default=[])
GOOGLE_JWKS_URL = env.str("GOOGLE_JWKS_URL", default="https://www.googleapis.com/oauth2/v3/certs")
GOOGLE_ISSUERS = env.list("GOOGLE_ISSUERS", default=["https://accounts.google.com", "accounts.google.com"])
APPLE_CLIENT_IDS = env.list("APPLE_CLIENT_IDS", default=[])
APPLE_JWKS_URL = env.str("APPLE_JWKS_URL", default="https://appleid.apple.com/auth/keys")
APPLE_ISSUERS = env.list("APPLE_ISSUERS", default=["https://appleid.apple.com"])
# Facebook access tokens are checked with the Graph API (debug_token, then /me).
FACEBOOK_APP_ID = env.str("FACEBOOK_APP_ID", default="")
FACEBOOK_APP_SECRET = env.str("FACEBOOK_APP_SECRET", default="")
FACEBOOK_GRAPH_URL = env.str("FACEBOOK_GRAPH_URL", default="https://graph.facebook.com/v21.0")
# Network timeout for every provider call, and how long fetched signing keys are reused.
SOCIAL_AUTH_TIMEOUT_SECONDS = env.float("SOCIAL_AUTH_TIMEOUT_SECONDS", default=5.0)
SOCIAL_JWKS_CACHE_SECONDS = env.int("SOCIAL_JWKS_CACHE_SECONDS", default=3600)

# Apple sign-in: the ID token's `nonce` claim must match the nonce the app sends (SHA-256 of it,
# as Apple's guidelines have the app pass, or the value itself), so a captured token cannot be replayed.
APPLE_REQUIRE_NONCE = env.bool("APPLE_REQUIRE_NONCE", default=True)

# Account mails (verification, password reset, email change) are sent by a worker, never in a
# request. EMAIL_URL: smtp://user:password@host:25, smtp+tls://…:587 (STARTTLS), smtp+ssl://…:465;
# consolemail:// prints them (the default), filemail:// writes them to EMAIL_FILE_PATH.
# EMAIL_BACKEND overrides the class (e.g. "anymail.backends.amazon_ses.EmailBackend").
_EMAIL = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="") or _EMAIL["EMAIL_BACKEND"]
EMAIL_HOST = _EMAIL["EMAIL_HOST"] or "localhost"
EMAIL_PORT = _EMAIL["EMAIL_PORT"] or 25
EMAIL_HOST_USER = _EMAIL["EMAIL_HOST_USER"] or ""
EMAIL_HOST_PASSWORD = _EMAIL["EMAIL_HOST_PASSWORD"] or ""
EMAIL_USE_TLS = _EMAIL.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _EMAIL.get("EMAIL_USE_SSL", False)
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(BASE_DIR / ".mail"))
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
# The product's name in mails.
PRODUCT_NAME = env.str("PRODUCT_NAME", default="English Practice")
# Where the admin's "View site" link leads (e.g. the product's web page); empty hides the link.
ADMIN_VIEW_SITE_URL = env.str("ADMIN_VIEW_SITE_URL", default="")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="English Practice <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Links in the mails open the app: a universal/app link base (https://app.example.com) or a scheme.
APP_LINK_BASE_URL = env.str("APP_LINK_BASE_URL", default="englishapp://app")
# Lifetimes of the codes and links, and how many wrong codes end one early.
EMAIL_VERIFICATION_TOKEN_HOURS = env.int("EMAIL_VERIFICATION_TOKEN_HOURS", default=48)
PASSWORD_RESET_TOKEN_MINUTES = env.int("PASSWORD_RESET_TOKEN_MINUTES", default=30)
EMAIL_CHANGE_TOKEN_MINUTES = env.int("EMAIL_CHANGE_TOKEN_MINUTES", default=60)
ACCOUNT_CODE_MAX_ATTEMPTS = env.int("ACCOUNT_CODE_MAX_ATTEMPTS", default=5)
# At most this many account mails of one kind to one address per hour, whoever asks (no mail bombs).
ACCOUNT_MAILS_PER_HOUR = env.int("ACCOUNT_MAILS_PER_HOUR", default=5)
# The admin's own "forgotten your password?" (Django's signed links) expires like the API's reset.
PASSWORD_RESET_TIMEOUT = PASSWORD_RESET_TOKEN_MINUTES * 60

# --- content ----------------------------------------------------------------
# Public tag list (GET /tags) cache lifetime; any tag change clears it at once.
TAG_LIST_CACHE_SECONDS = env.int("TAG_LIST_CACHE_SECONDS", default=3600)
# How long the ids matching one practice-set filter are reused; editor changes invalidate at once.
PRACTICE_SET_CACHE_SECONDS = env.int("PRACTICE_SET_CACHE_SECONDS", default=300)
# Bytes of those id lists each process also keeps in memory (LRU; 0 turns it off).
PRACTICE_SET_LOCAL_CACHE_BYTES = env.int("PRACTICE_SET_LOCAL_CACHE_BYTES", default=32 * 1024 * 1024)
# How long a speech's practice-set item (text, level, type, tags, audio key; never the signed URL) is
# reused; any content change invalidates every item at once.
PRACTICE_SET_ITEM_CACHE_SECONDS = env.int("PRACTICE_SET_ITEM_CACHE_SECONDS", default=600)
# Bytes of those items each process also keeps in memory (LRU; 0 turns it off).
PRACTICE_SET_LOCAL_ITEM_BYTES = env.int("PRACTICE_SET_LOCAL_ITEM_BYTES", default=16 * 1024 * 1024)
# After a change, one request builds a filter's id list; the others sample the filter's list from before the
# change (dropping what changed), or without one wait up to this many seconds for it, then build it themselves.
PRACTICE_SET_BUILD_WAIT_SECONDS = env.float("PRACTICE_SET_BUILD_WAIT_SECONDS", default=2.0)
# A filter with at most this many matches gets all its items cached when its id list is built.
PRACTICE_SET_PRELOAD_MAX = env.int("PRACTICE_SET_PRELOAD_MAX", default=200)
# Accounts `manage.py seed` creates (demo data). No password defaults outside DEBUG.
SEED_STAFF_EMAIL = env.str("SEED_STAFF_EMAIL", default="editor@example.com")
SEED_STAFF_PASSWORD = env.str("SEED_STAFF_PASSWORD", default="editor-demo-pass-1" if DEBUG else "")
SEED_LEARNER_PASSWORD = env.str("SEED_LEARNER_PASSWORD", default="learner-demo-pass-1" if DEBUG else "")
# Level and sentence type appear in several apps' schemas; one enum name each in the API docs.
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update(
    {"LevelEnum": "content.models.Level", "SentenceTypeEnum": "content.models.SentenceType"})

# --- game -------------------------------------------------------------------
# Most results one saved session may carry (a practice set holds at most 50).
GAME_MAX_SESSION_SENTENCES = env.int("GAME_MAX_SESSION_SENTENCES", default=100)
# How far in the future a session's completed_at may lie (client clocks drift).
GAME_CLOCK_SKEW_SECONDS = env.int("GAME_CLOCK_SKEW_SECONDS", default=300)
# How long an Idempotency-Key of a session save is honoured; older keys may be reused.
GAME_IDEMPOTENCY_KEY_TTL_HOURS = env.int("GAME_IDEMPOTENCY_KEY_TTL_HOURS", default=24)
# Review set: a miss counts half as much after this many days.
GAME_REVIEW_HALF_LIFE_DAYS = env.float("GAME_REVIEW_HALF_LIFE_DAYS", default=14.0)

# --- scoring ----------------------------------------------------------------
# Pronunciation scoring engine: "local" (offline PocketSphinx, nothing to set up) or "azure".
SPEECH_PROVIDER = env.str("SPEECH_PROVIDER", default="local")
# Engine used when the main one fails or times out ("" = none, answer 503; e.g. "local" behind Azure).
SPEECH_FALLBACK_PROVIDER = env.str("SPEECH_FALLBACK_PROVIDER", default="")
AZURE_SPEECH_KEY = env.str("AZURE_SPEECH_KEY", default="")
AZURE_SPEECH_REGION = env.str("AZURE_SPEECH_REGION", default="")
# Replaces the region's endpoint (sovereign clouds, containers, tests), e.g. wss://host/speech/...
AZURE_SPEECH_ENDPOINT = env.str("AZURE_SPEECH_ENDPOINT", default="")
# Seconds one scoring attempt may take (also the longest wait for a free local decoder).
SPEECH_API_TIMEOUT = env.float("SPEECH_API_TIMEOUT", default=10.0)
# Attempts on transient provider failures, waiting SPEECH_API_BACKOFF_SECONDS, then twice that, ...
SPEECH_API_MAX_ATTEMPTS = env.int("SPEECH_API_MAX_ATTEMPTS", default=3)
SPEECH_API_BACKOFF_SECONDS = env.float("SPEECH_API_BACKOFF_SECONDS", default=0.5)
# Longest recording accepted for scoring; longer ones are refused with 422.
SPEECH_MAX_AUDIO_SECONDS = env.float("SPEECH_MAX_AUDIO_SECONDS", default=30.0)
# Local engine decoders per process (about 105 MB each, measured); more concurrent requests wait for one.
SPEECH_LOCAL_DECODERS = env.int("SPEECH_LOCAL_DECODERS", default=2)

# --- imports ----------------------------------------------------------------
# Upload sessions (step 1 of an import) expire after this many hours; `cleanup_uploads` deletes them.
IMPORT_SESSION_TTL_HOURS = env.int("IMPORT_SESSION_TTL_HOURS", default=24)
# Longest speech text a CSV row may carry (the editor API allows 1000, so exports always re-import).
IMPORT_TEXT_MAX_LENGTH = env.int("IMPORT_TEXT_MAX_LENGTH", default=1000)
# Largest accepted import CSV, bytes.
IMPORT_CSV_MAX_BYTES = env.int("IMPORT_CSV_MAX_BYTES", default=MAX_UPLOAD_BYTES)
# Parallel storage requests when an import moves audio objects (S3 server-side copies).
IMPORT_STORAGE_CONCURRENCY = env.int("IMPORT_STORAGE_CONCURRENCY", default=16)
# CSV imports up to this many rows answer at once (200); larger ones run as a job (202).
IMPORT_SYNC_MAX_ROWS = env.int("IMPORT_SYNC_MAX_ROWS", default=500)

# --- Background jobs (Celery) -------------------------------------------------
# Redis in production and CI; without any, a folder on disk (kombu's filesystem transport),
# so `make run` runs jobs with no server at all. Job state lives in jobs.Job, not in Celery.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _BROKER_DIR = Path(env.str("CELERY_BROKER_DIR", default=str(BASE_DIR / ".celery-broker")))
    _BROKER_DIR.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(_BROKER_DIR), "data_folder_out": str(_BROKER_DIR),
                                       "control_folder": str(_BROKER_DIR / "control"), "store_processed": False}
else:
    # An unacknowledged task (its whole worker lost) is delivered again after this long.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("JOB_VISIBILITY_TIMEOUT", default=3600)}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = "englishapp"
# Acknowledged only when done, and put back when the worker process dies mid-task: a job
# survives a killed worker (jobs.services: a job may run again, never after it ended).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# How many times a job may start (each lost worker is one) before it is failed.
JOB_MAX_ATTEMPTS = env.int("JOB_MAX_ATTEMPTS", default=3)


def _schedule(name: str, default: str) -> crontab | None:
    """A crontab line ("minute hour day-of-month month day-of-week") from the environment; empty: off."""
    line = env.str(name, default=default).strip()
    if not line:
        return None
    minute, hour, day_of_month, month_of_year, day_of_week = line.split()
    return crontab(minute=minute, hour=hour, day_of_month=day_of_month, month_of_year=month_of_year,
                   day_of_week=day_of_week)


# Celery beat (UTC). Each runs as a job (jobs.Job, visible in the admin) and is safe to run again.
_SCHEDULES = {
    "cleanup-uploads": ("imports.cleanup_uploads", _schedule("SCHEDULE_CLEANUP_UPLOADS", "17 * * * *")),
    "purge-sessions": ("accounts.purge_sessions", _schedule("SCHEDULE_PURGE_SESSIONS", "23 3 * * *")),
    "purge-session-keys": ("game.purge_session_keys", _schedule("SCHEDULE_PURGE_SESSION_KEYS", "37 3 * * *")),
    "purge-audit-log": ("audit.purge_audit_log", _schedule("SCHEDULE_PURGE_AUDIT_LOG", "47 3 * * *")),
    "sweep-audio": ("content.sweep_audio", _schedule("SCHEDULE_SWEEP_AUDIO", "7 4 * * *")),
    # Hourly, so a week is closed soon after it ends whatever LEAGUE_TIME_ZONE is; closed weeks are skipped.
    "close-league-weeks": ("community.close_league_weeks", _schedule("SCHEDULE_CLOSE_LEAGUE_WEEKS", "3 * * * *")),
}
CELERY_BEAT_SCHEDULE = {name: {"task": task, "schedule": when} for name, (task, when) in _SCHEDULES.items() if when}
# `sweep_audio` deletes stored audio no speech points at once it is this old: longer than the
# longest import, whose copies are unreferenced until its transaction commits.
AUDIO_SWEEP_MIN_AGE_SECONDS = env.int("AUDIO_SWEEP_MIN_AGE_SECONDS", default=24 * 3600)
# `purge_audit_log` deletes audit rows older than this many days; 0 (or empty) keeps them forever.
AUDIT_RETENTION_DAYS = int(env.str("AUDIT_RETENTION_DAYS", default="365") or 0)

# --- hardening --------------------------------------------------------------
# Rate limits per `rate_limit_scope` of the API views (config/ratelimit.py). "N/P": at most N
# requests per fixed window of P: s, m, h or d, optionally multiplied ("5/10m"). login and
# register count per client IP; the others per user, or per IP for anonymous callers.
RATE_LIMIT_ENABLED = env.bool("RATE_LIMIT_ENABLED", default=True)
RATE_LIMITS = {
    scope: env.str(f"RATE_LIMIT_{scope.upper()}", default=default)
    for scope, default in {
        "login": "10/m", "register": "5/m", "practice_set": "60/m", "session_save": "60/m",
        "history": "100/m", "scoring": "30/m", "admin": "200/m", "default": "100/m",
        # Mails on request (verification resend, email change; password reset per address).
        "account_mail": "5/h", "password_reset": "10/h",
    }.items()
}
# django-ratelimit's own settings, kept in step with ours.
RATELIMIT_ENABLE = RATE_LIMIT_ENABLED
RATELIMIT_USE_CACHE = "counters"
RATELIMIT_FAIL_OPEN = True
# Any direct use of django-ratelimit sees the same client address as our limiter.
RATELIMIT_IP_META_KEY = "core.http.client_ip.client_ip"
# Proxies in front of the app that append to X-Forwarded-For (0: use the socket address only).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# /metrics (Prometheus) answers these addresses or CIDR ranges, or a request with the bearer token.
# Checked at start-up (core/checks.py), like every value below that can be malformed.
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=["127.0.0.1", "::1"])
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

# CORS for browser clients of the API (the mobile apps need none). "*" only with DEBUG.
ALLOWED_ORIGINS = env.list("ALLOWED_ORIGINS", default=[])
if "*" in ALLOWED_ORIGINS and DEBUG:
    CORS_ALLOW_ALL_ORIGINS = True
else:  # a "*" outside DEBUG stops the start (core/checks.py)
    CORS_ALLOWED_ORIGINS = [origin for origin in ALLOWED_ORIGINS if origin != "*"]
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_HEADERS = [
    "accept", "authorization", "content-type", "user-agent", "x-requested-with", "x-request-id", "idempotency-key",
]
CORS_EXPOSE_HEADERS = ["Retry-After", "X-Request-ID"]

# HTTPS. Behind a TLS-terminating proxy set SECURE_PROXY_SSL_HEADER, e.g. X-Forwarded-Proto=https.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Container health checks and in-cluster Prometheus scrapes reach the app over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^health$", r"^health/ready$", r"^metrics$"]
SECURE_PROXY_SSL_HEADER_ENV = env.str("SECURE_PROXY_SSL_HEADER", default="")
_header, _, _value = SECURE_PROXY_SSL_HEADER_ENV.partition("=")
# Malformed (no "=value"): left unset, and the start is refused (core/checks.py).
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_" + _header.strip().upper().replace("-", "_"), _value.strip()) if _header.strip() and _value.strip()
    else None)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = env.str("SECURE_REFERRER_POLICY", default="same-origin")
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp) on every response. Admin, Swagger UI and ReDoc load
# scripts only from our static files; Swagger UI and ReDoc inject <style> elements at run
# time, and ReDoc runs its search index in a blob: worker.
_csp_media = env.list("CSP_MEDIA_SRC", default=[])
if AWS_S3_PUBLIC_ENDPOINT_URL:  # admin audio players play straight from the bucket
    _endpoint = urlsplit(AWS_S3_PUBLIC_ENDPOINT_URL)
    _csp_media.append(f"{_endpoint.scheme}://{_endpoint.netloc}")
elif AWS_STORAGE_BUCKET_NAME:
    _csp_media.append("https://*.amazonaws.com")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "media-src": ["'self'", *_csp_media],
        "connect-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Error tracking: Sentry starts only with a DSN.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    from core.observability.sentry import init_sentry

    init_sentry(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default="development" if DEBUG else "production"),
        release=env.str("SENTRY_RELEASE", default=""),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )

# --- rewards (XP, levels, daily goal, streak freezes, achievements) ----------
# A learner's daily XP goal until they set their own (10-1000).
REWARDS_DAILY_XP_GOAL = env.int("REWARDS_DAILY_XP_GOAL", default=50)
# Every this many consecutive days of a streak earn one streak freeze (0: freezes are never earned).
REWARDS_FREEZE_EVERY_DAYS = env.int("REWARDS_FREEZE_EVERY_DAYS", default=7)
# The most streak freezes a learner holds at once (earned and granted alike).
REWARDS_MAX_FREEZES = env.int("REWARDS_MAX_FREEZES", default=2)
if not 10 <= REWARDS_DAILY_XP_GOAL <= 1000 or REWARDS_FREEZE_EVERY_DAYS < 0 or REWARDS_MAX_FREEZES < 0:
    raise ImproperlyConfigured("REWARDS_DAILY_XP_GOAL must be 10-1000; REWARDS_FREEZE_EVERY_DAYS and "
                               "REWARDS_MAX_FREEZES must be 0 or more.")

# --- game: spaced review (FSRS) -------------------------------------------------
# Share of sentences a learner should still recall when they come due (FSRS desired retention, 0-1 exclusive):
# higher means shorter intervals and more reviews.
REVIEW_DESIRED_RETENTION = env.float("REVIEW_DESIRED_RETENTION", default=0.9)
if not 0 < REVIEW_DESIRED_RETENTION < 1:
    raise ImproperlyConfigured("REVIEW_DESIRED_RETENTION must be between 0 and 1 (exclusive).")

# --- community (weekly leagues, friends) ----------------------------------------
# League weeks start on Monday 00:00 in this zone for every learner.
LEAGUE_TIME_ZONE = env.str("LEAGUE_TIME_ZONE", default="UTC")
# Seats per league, and how many of a full league go up and down a tier when its week closes.
LEAGUE_SIZE = env.int("LEAGUE_SIZE", default=30)
LEAGUE_PROMOTE = env.int("LEAGUE_PROMOTE", default=7)
LEAGUE_DEMOTE = env.int("LEAGUE_DEMOTE", default=5)
# How long a league table kept in Redis may go unread before it is dropped (and rebuilt from the database).
LEAGUE_RANKING_TTL_SECONDS = env.int("LEAGUE_RANKING_TTL_SECONDS", default=600)
# The most friends a learner may have.
FRIENDS_MAX = env.int("FRIENDS_MAX", default=200)
if LEAGUE_SIZE < 2 or LEAGUE_PROMOTE < 0 or LEAGUE_DEMOTE < 0 or LEAGUE_PROMOTE + LEAGUE_DEMOTE > LEAGUE_SIZE:
    raise ImproperlyConfigured("LEAGUE_SIZE must be 2 or more, LEAGUE_PROMOTE and LEAGUE_DEMOTE 0 or more and "
                               "together at most LEAGUE_SIZE.")
if FRIENDS_MAX < 1 or LEAGUE_RANKING_TTL_SECONDS < 1:
    raise ImproperlyConfigured("FRIENDS_MAX and LEAGUE_RANKING_TTL_SECONDS must be 1 or more.")
try:
    ZoneInfo(LEAGUE_TIME_ZONE)
except (ZoneInfoNotFoundError, ValueError) as error:
    raise ImproperlyConfigured(f"LEAGUE_TIME_ZONE {LEAGUE_TIME_ZONE!r} is not a known time zone.") from error

# --- courses (courses -> units -> lessons) --------------------------------------
# Share of a lesson's sentences (0-1) a learner must answer correctly to pass it, unless the lesson sets its own.
COURSE_LESSON_PASS_RATIO = env.float("COURSE_LESSON_PASS_RATIO", default=0.8)
if not 0 <= COURSE_LESSON_PASS_RATIO <= 1:
    raise ImproperlyConfigured("COURSE_LESSON_PASS_RATIO must be between 0 and 1.")
