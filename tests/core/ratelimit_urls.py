"""Views that exist only for the rate-limit tests: one per scope, plus the edge cases."""

from django.conf import settings
from django.urls import include, path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView


class ScopedView(APIView):
    permission_classes = [AllowAny]

    def get(self, request, **kwargs):
        return Response({"ok": True})

    def post(self, request, **kwargs):
        return Response({"ok": True})


def scoped(scope) -> type[APIView]:
    return type(f"Scoped{scope}", (ScopedView,), {"rate_limit_scope": scope})


class UnscopedView(ScopedView):
    """Declares no scope, so the default budget applies."""


class SessionsView(ScopedView):
    rate_limit_scope = {"GET": "history", "POST": "session_save"}


urlpatterns = [
    *[path(f"api/v1/limited/{scope}", scoped(scope).as_view()) for scope in settings.RATE_LIMITS],
    path("api/v1/limited-unscoped", UnscopedView.as_view()),
    path("api/v1/limited-sessions", SessionsView.as_view()),
    path("", include("config.urls")),
]
handler404 = "core.exceptions.handler404"
handler500 = "core.exceptions.handler500"
