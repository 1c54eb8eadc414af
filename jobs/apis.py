"""Whether job workers are alive: a probe for monitoring (the web instance does not need them to serve)."""

import logging

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.exceptions import error_body

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def workers(request):
    """200 with the workers that answered a ping within a second, 503 when none did.

    A broker without broadcast (the folder broker of `make run`) cannot be asked: "unknown".
    """
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        return JsonResponse({"status": "unknown", "detail": "This broker cannot ping workers.", "workers": []})
    from config.celery import app

    try:
        replies = app.control.ping(timeout=1.0)
    except Exception as exc:  # the broker itself is away
        logger.warning("Worker ping failed: %s", exc)
        replies = []
    names = sorted(name for reply in replies for name in reply)
    if not names:
        return JsonResponse({**error_body("no_workers", "No job worker answered."), "workers": []}, status=503)
    return JsonResponse({"status": "ok", "workers": names})
