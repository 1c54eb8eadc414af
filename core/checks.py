"""Checks of the environment-driven settings, as Django system checks.

`CoreConfig.ready` refuses to start any process (web, worker, command) while one of them is
an Error, naming every problem at once, so a misconfigured deploy fails at boot instead of on
the first request that needs the setting. Registered with the check framework too, so
`manage.py check` (and a test that overrides settings) sees them with their ids.
"""

import ipaddress
import re

from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

_RATE = re.compile(r"\d+/\d*[smhd]")


def _rate_limits() -> list[Error]:
    bad = [f"RATE_LIMIT_{scope.upper()}={rate}" for scope, rate in settings.RATE_LIMITS.items()
           if not _RATE.fullmatch(rate)]
    if not bad:
        return []
    return [Error(f"Rate limits must look like 10/m or 5/10m: {', '.join(bad)}", id="core.E001")]


def _metrics_allowed_ips() -> list[Error]:
    errors = []
    for network in settings.METRICS_ALLOWED_IPS:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError as exc:
            errors.append(Error(f"METRICS_ALLOWED_IPS: {exc}", id="core.E002"))
    return errors


def _allowed_origins() -> list[Error]:
    if "*" in settings.ALLOWED_ORIGINS and not settings.DEBUG:
        return [Error("ALLOWED_ORIGINS may not contain * when DEBUG is off; list the origins.", id="core.E003")]
    return []


def _proxy_ssl_header() -> list[Error]:
    if settings.SECURE_PROXY_SSL_HEADER_ENV and not settings.SECURE_PROXY_SSL_HEADER:
        return [Error("SECURE_PROXY_SSL_HEADER must look like X-Forwarded-Proto=https.", id="core.E004")]
    return []


def _read_replica() -> list[Error]:
    replica = settings.DATABASES.get("replica")
    if replica is None:
        return []
    errors = []
    if replica["ENGINE"] != settings.DATABASES["default"]["ENGINE"]:
        errors.append(Error("DATABASE_REPLICA_URL must name a streaming replica of DATABASE_URL's PostgreSQL.",
                            id="core.E005"))
    if settings.CACHES["default"]["BACKEND"].endswith(".LocMemCache"):
        # Read-your-writes is remembered in the cache: in one process's memory, another would not know.
        errors.append(Error("DATABASE_REPLICA_URL needs a cache every process shares: set REDIS_URL (or CACHE_DIR).",
                            id="core.E006"))
    if settings.DATABASE_REPLICA_STICKY_SECONDS < 1:
        errors.append(Error("DATABASE_REPLICA_STICKY_SECONDS must be at least 1: a learner must read their own "
                            "writes.", id="core.E007"))
    return errors


SETTINGS_CHECKS = (_rate_limits, _metrics_allowed_ips, _allowed_origins, _proxy_ssl_header, _read_replica)


@register("settings")
def check_settings(app_configs=None, **kwargs) -> list[Error]:
    return [error for check in SETTINGS_CHECKS for error in check()]


def refuse_bad_settings() -> None:
    """Raise ImproperlyConfigured naming every settings error (called when the app registry is ready)."""
    errors = check_settings()
    if errors:
        raise ImproperlyConfigured("; ".join(f"{error.msg} ({error.id})" for error in errors))
