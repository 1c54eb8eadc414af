"""Liveness and readiness probes for load balancers and container orchestrators.

Readiness fails (503) only for what requests cannot do without: the database and the audio
storage. The shared cache is an optimisation (core/cache.py): without it the instance still
serves, slower, so it is reported "degraded" with a 200 and stays in rotation. Every check is
bounded in time: the cache by its socket timeout and breaker, the storage by a 2 s probe, the
database by its connect timeout and, in web processes, its statement deadline.
"""

import logging
import uuid

from django.core.cache import cache
from django.db import connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core import storage

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


CHECKS = {"database": check_database, "cache": check_cache, "storage": storage.probe}
# Checks whose failure leaves the instance able to serve: reported, not a reason to leave rotation.
DEGRADABLE = frozenset({"cache"})


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
    essential = [name for name in failed if name not in DEGRADABLE]
    if essential:
        return JsonResponse(
            {"status": "unavailable", "code": "not_ready", "detail": f"Unavailable: {', '.join(failed)}.",
             "checks": results},
            status=503,
        )
    if failed:
        return JsonResponse({"status": "degraded", "detail": f"Degraded: {', '.join(failed)} unavailable.",
                             "checks": results})
    return JsonResponse({"status": "ok", "checks": results})
