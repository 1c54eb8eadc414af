"""What `/` and unknown `/api/...` paths answer: JSON for the machines and people who land there."""

from django.conf import settings
from django.http import HttpRequest, HttpResponsePermanentRedirect, JsonResponse
from django.templatetags.static import static
from django.urls import Resolver404, resolve, reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from core.exceptions import handler404


@require_safe
def api_index(request: HttpRequest) -> JsonResponse:
    """A map of the service: where the API, its docs, the admin and the probes are."""
    links = {
        "schema": request.build_absolute_uri(reverse("schema")),
        "docs": request.build_absolute_uri(reverse("swagger-ui")),
        "redoc": request.build_absolute_uri(reverse("redoc")),
        "admin": request.build_absolute_uri(reverse("admin:index")),
        "health": request.build_absolute_uri(reverse("health")),
        "readiness": request.build_absolute_uri(reverse("health-ready")),
    }
    return JsonResponse({"name": settings.SPECTACULAR_SETTINGS["TITLE"],
                         "version": settings.SPECTACULAR_SETTINGS["VERSION"],
                         "api_base": request.build_absolute_uri("/api/v1/"), "links": links})


@require_safe
def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    # Resolved per request: the hashed static name exists only once collectstatic has run.
    return HttpResponsePermanentRedirect(static("core/favicon.svg"))


@csrf_exempt  # it changes nothing; a PUT to an unknown path is a 404, not a CSRF failure page
def api_not_found(request: HttpRequest, rest: str = ""):
    """Every `/api/...` path nothing else serves: the JSON 404, in DEBUG too.

    Django's DEBUG mode answers unknown URLs with its HTML page, never calling handler404; this
    route makes them known. It still honours APPEND_SLASH for the pages that end in a slash
    (`/api/docs` -> `/api/docs/`), which a catch-all would otherwise swallow.
    """
    if settings.APPEND_SLASH and not request.path_info.endswith("/"):
        try:
            match = resolve(request.path_info + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not api_not_found:
            return HttpResponsePermanentRedirect(request.get_full_path(force_append_slash=True))
    return handler404(request)

