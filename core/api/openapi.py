"""OpenAPI generation: every rate-limited operation documents its 429 answer and its budget;
every operation with a request body documents the 415 DRF gives a body it cannot parse, and
every operation with path parameters the 404 the URL resolver gives a value its converter refuses;
all of them in the one shared `Error` component."""

from django.conf import settings
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from core.api.ratelimit import PER_IP_SCOPES, ScopedRateLimit, scope_of

_PERIOD_NAMES = {"s": "second", "m": "minute", "h": "hour", "d": "day"}


class ErrorSerializer(serializers.Serializer):
    """The API's one error shape (core/exceptions.py), for the docs of every view."""

    code = serializers.CharField()
    detail = serializers.CharField()
    errors = serializers.JSONField(
        required=False, help_text="Per-field, per-file or per-row problems, when there are any.")


def error_response(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=ErrorSerializer, description=description)


_RETRY_AFTER = {
    "Retry-After": {"description": "Seconds until the limit's window ends.", "schema": {"type": "integer"}},
}


def describe_rate(rate: str) -> str:
    """ "10/m" -> "10 requests per minute", "5/10m" -> "5 requests per 10 minutes"."""
    count, period = rate.split("/")
    multiplier, unit = period[:-1], _PERIOD_NAMES[period[-1]]
    return f"{count} requests per {multiplier} {unit}s" if multiplier else f"{count} requests per {unit}"


_UNSUPPORTED_MEDIA_TYPE = ("unsupported_media_type",
                           "`unsupported_media_type`: the body's Content-Type is missing or not one listed for "
                           "the request.")
_NO_SUCH_PATH = ("not_found", "`not_found`: no such path (a path parameter the route does not accept).")


class RateLimitedAutoSchema(AutoSchema):
    def _error(self, code: str, description: str, **extra) -> dict:
        """A response in the one shared `Error` component, with an example of its code."""
        ref = self.resolve_serializer(ErrorSerializer, "response").ref
        return {"description": description, **extra,
                "content": {"application/json": {"schema": ref, "example": {"code": code, "detail": "..."}}}}

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses = operation.setdefault("responses", {})
        if "requestBody" in operation:
            # DRF answers 415 itself, before the view, for a body no parser of the view accepts.
            responses.setdefault("415", self._error(*_UNSUPPORTED_MEDIA_TYPE))
        if any(param.get("in") == "path" for param in operation.get("parameters", [])):
            # The URL resolver answers 404 itself for a path value its converter refuses (not a UUID,
            # a key with a line break), before any view code that might document it.
            responses.setdefault("404", self._error(*_NO_SUCH_PATH))
        if not any(issubclass(throttle, ScopedRateLimit) for throttle in self.view.throttle_classes):
            return operation
        scope = scope_of(self.view, self.method)
        who = "per client IP" if scope in PER_IP_SCOPES else "per user (per client IP when anonymous)"
        limit = (f"`rate_limited`: more than {describe_rate(settings.RATE_LIMITS[scope])} {who} "
                 f"(limit `{scope}`). Retry after the seconds in Retry-After.")
        response = operation.setdefault("responses", {}).get("429")
        if response is None:
            operation["responses"]["429"] = self._error("rate_limited", limit, headers=_RETRY_AFTER)
        else:  # the view documents its own 429 (e.g. account lockout); add the limit to it
            response["description"] = f"{response.get('description', '')} Or {limit}".strip()
            response.setdefault("headers", {}).update(_RETRY_AFTER)
        return operation
