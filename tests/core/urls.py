"""Views that exist only for the foundation tests: each raises one kind of error."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import OperationalError
from django.http import Http404
from django.urls import include, path
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from core.api.pagination import page_pagination
from core.exceptions import Conflict


class EchoSerializer(serializers.Serializer):
    email = serializers.EmailField()
    count = serializers.IntegerField(min_value=1)


class ValidateView(APIView):
    permission_classes = [AllowAny]

    def post(self, request):
        data = EchoSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(data.validated_data)


class ProtectedView(APIView):
    def get(self, request):
        return Response({"ok": True})


class RaisingView(APIView):
    permission_classes = [AllowAny]
    errors = {
        "django-404": Http404("missing"),
        "django-403": PermissionDenied(),
        "conflict": Conflict("That already exists.", code="already_exists"),
        "database-down": OperationalError("connection refused"),
        "crash": RuntimeError("secret internal detail"),
        "model-validation": ValidationError({"name": ["Too long."], "__all__": ["Inconsistent."]}),
        "validator": ValidationError("Not allowed."),
    }

    def get(self, request, kind):
        raise self.errors[kind]


class UserNames(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["email"]


class UserList(ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = UserNames
    pagination_class = page_pagination("users", default_limit=2, max_limit=3)

    def get_queryset(self):
        return User.objects.order_by("email")


urlpatterns = [
    path("api/v1/validate", ValidateView.as_view()),
    path("api/v1/protected", ProtectedView.as_view()),
    path("api/v1/raise/<str:kind>", RaisingView.as_view()),
    path("api/v1/users", UserList.as_view()),
    path("", include("config.urls")),
]
handler404 = "core.exceptions.handler404"
handler500 = "core.exceptions.handler500"
