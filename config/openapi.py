"""OpenAPI generation: every rate-limited operation documents its 429 answer and its budget."""

from django.conf import settings
from drf_spectacular.openapi import AutoSchema

from config.ratelimit import PER_IP_SCOPES, ScopedRateLimit, scope_of

_PERIOD_NAMES = {"s": "second", "m": "minute", "h": "hour", "d": "day"}

_ERROR_SCHEMA = {
    "type": "object",
    "properties": {"code": {"type": "string", "example": "rate_limited"}, "detail": {"type": "string"}},
    "required": ["code", "detail"],
}
_RETRY_AFTER = {
    "Retry-After": {"description": "Seconds until the limit's window ends.", "schema": {"type": "integer"}},
}


def describe_rate(rate: str) -> str:
    """ "10/m" -> "10 requests per minute", "5/10m" -> "5 requests per 10 minutes"."""
    count, period = rate.split("/")
    multiplier, unit = period[:-1], _PERIOD_NAMES[period[-1]]
    return f"{count} requests per {multiplier} {unit}s" if multiplier else f"{count} requests per {unit}"


class RateLimitedAutoSchema(AutoSchema):
    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None or not any(issubclass(throttle, ScopedRateLimit) for throttle in self.view.throttle_classes):
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
