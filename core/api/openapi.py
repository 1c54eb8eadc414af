"""OpenAPI generation: every rate-limited operation documents its 429 answer and its budget;
every operation with a request body documents the 415 DRF gives a body it cannot parse, and
every operation with path parameters the 404 the URL resolver gives a value its converter refuses."""

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


def _error_schema(code: str) -> dict:
    return {
        "type": "object",
        "properties": {"code": {"type": "string", "example": code}, "detail": {"type": "string"}},
        "required": ["code", "detail"],
    }


_ERROR_SCHEMA = _error_schema("rate_limited")
_RETRY_AFTER = {
    "Retry-After": {"description": "Seconds until the limit's window ends.", "schema": {"type": "integer"}},
}


def describe_rate(rate: str) -> str:
    """ "10/m" -> "10 requests per minute", "5/10m" -> "5 requests per 10 minutes"."""
    count, period = rate.split("/")
    multiplier, unit = period[:-1], _PERIOD_NAMES[period[-1]]
    return f"{count} requests per {multiplier} {unit}s" if multiplier else f"{count} requests per {unit}"


_UNSUPPORTED_MEDIA_TYPE = {
    "description": "`unsupported_media_type`: the body's Content-Type is missing or not one listed for the request.",
    "content": {"application/json": {"schema": _error_schema("unsupported_media_type")}},
}
_NO_SUCH_PATH = {
    "description": "`not_found`: no such path (a path parameter the route does not accept).",
    "content": {"application/json": {"schema": _error_schema("not_found")}},
}


class RateLimitedAutoSchema(AutoSchema):
    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses = operation.setdefault("responses", {})
        if "requestBody" in operation:
            # DRF answers 415 itself, before the view, for a body no parser of the view accepts.
            responses.setdefault("415", _UNSUPPORTED_MEDIA_TYPE)
        if any(param.get("in") == "path" for param in operation.get("parameters", [])):
            # The URL resolver answers 404 itself for a path value its converter refuses (not a UUID,
            # a key with a line break), before any view code that might document it.
            responses.setdefault("404", _NO_SUCH_PATH)
        if not any(issubclass(throttle, ScopedRateLimit) for throttle in self.view.throttle_classes):
            return operation
        scope = scope_of(self.view, self.method)
        who = "per client IP" if scope in PER_IP_SCOPES else "per user (per client IP when anonymous)"
        limit = (f"`rate_limited`: more than {describe_rate(settings.RATE_LIMITS[scope])} {who} "
                 f"(limit `{scope}`). Retry after the seconds in Retry-After.")
        response = operation.setdefault("responses", {}).get("429")
        if response is None:
            operation["responses"]["429"] = {
                "description": limit, "headers": _RETRY_AFTER,
                "content": {"application/json": {"schema": _ERROR_SCHEMA}},
            }
        else:  # the view documents its own 429 (e.g. account lockout); add the limit to it
            response["description"] = f"{response.get('description', '')} Or {limit}".strip()
            response.setdefault("headers", {}).update(_RETRY_AFTER)
        return operation
