"""config.urls plus GET /bench/bare: the cheapest authenticated DRF view, the "bare endpoint" a benchmark
divides by.

It goes through everything a real API view does (middleware, JWT authentication with its device-session
check, IsAuthenticated, the throttle, the JSON renderer) and nothing else: no query of its own, no cache.
Served only under bench.bare_settings.
"""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

import config.urls


class BareApi(APIView):
    # The project's default authentication and permission classes; the scope the measured reads use, so the
    # throttle costs the same on both sides of a ratio.
    rate_limit_scope = "history"

    @extend_schema(exclude=True)
    def get(self, request):
        return Response({"ok": True})


urlpatterns = [path("bench/bare", BareApi.as_view(), name="bench-bare"), *config.urls.urlpatterns]

handler400 = config.urls.handler400
handler403 = config.urls.handler403
handler404 = config.urls.handler404
handler500 = config.urls.handler500
