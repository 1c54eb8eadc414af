"""Liveness and readiness probes for load balancers and container orchestrators."""

import logging
import uuid

from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


def check_database() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")


def check_cache() -> None:
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=5)
    if cache.get(key) != "1":
        raise RuntimeError("cache did not return the value just written")
    cache.delete(key)


def check_storage() -> None:
    # exists() is a HEAD on S3 and a stat locally: it proves credentials, bucket and reachability.
    default_storage.exists("health/probe")


CHECKS = {"database": check_database, "cache": check_cache, "storage": check_storage}


@never_cache
@require_GET
def liveness(request):
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readiness(request):
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:  # any failure of a dependency means "not ready"
            logger.warning("Readiness check %s failed: %s", name, exc)
            results[name] = "unavailable"
    failed = [name for name, outcome in results.items() if outcome != "ok"]
    if failed:
        return JsonResponse(
            {"status": "unavailable", "code": "not_ready", "detail": f"Unavailable: {', '.join(failed)}.",
             "checks": results},
            status=503,
        )
    return JsonResponse({"status": "ok", "checks": results})
