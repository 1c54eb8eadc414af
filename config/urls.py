from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from core.api.ratelimit import limit_admin_login
from core.http.index import api_index, api_not_found, favicon
from core.observability import health, metrics

api_v1 = [
    path("", include("accounts.urls")),
    path("", include("content.urls")),
    path("", include("game.urls")),
    path("", include("courses.urls")),
    path("", include("rewards.urls")),
    path("", include("community.urls")),
    path("", include("scoring.urls")),
    path("", include("imports.urls")),
]

urlpatterns = [
    path("", api_index, name="index"),
    # Browsers ask every site for /favicon.ico; the docs and admin pages would log a 404 each visit.
    path("favicon.ico", favicon),
    path("health", health.liveness, name="health"),
    path("health/ready", health.readiness, name="health-ready"),
    path("health/", include("jobs.urls")),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("admin/login/", limit_admin_login(admin.site.login)),
    path("admin/", include("accounts.staff_password_reset")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file, so the CSP needs no inline scripts.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    # Last: what nothing above serves under /api/ is the JSON 404, in DEBUG too.
    re_path(r"^api/", api_not_found),
]

handler400 = "core.exceptions.handler400"
handler403 = "core.exceptions.handler403"
handler404 = "core.exceptions.handler404"
handler500 = "core.exceptions.handler500"
