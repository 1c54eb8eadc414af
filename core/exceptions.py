"""One error shape for the whole API: {"code", "detail", "errors"?}.

Services raise `DomainError` subclasses; DRF, Django and unexpected errors are
translated here so that a client never sees HTML or a stack trace.
"""

import logging
from typing import Any

from django.core.exceptions import (
    NON_FIELD_ERRORS,
    PermissionDenied,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.response import Response

logger = logging.getLogger(__name__)


class DomainError(Exception):
    """Base of every exception a service raises for a client-visible outcome."""

    status_code = status.HTTP_400_BAD_REQUEST
    code = "bad_request"
    detail = _("The request could not be processed.")

    def __init__(self, detail: str | None = None, *, code: str | None = None, errors: Any = None,
                 headers: dict[str, str] | None = None):
        self.detail = detail or self.detail
        self.code = code or self.code
        self.errors = errors
        self.headers = headers or {}
        super().__init__(self.detail)


class InvalidInput(DomainError):
    code = "invalid_input"
    detail = _("Invalid input.")


class NotAuthenticated(DomainError):
    status_code = status.HTTP_401_UNAUTHORIZED
    code = "not_authenticated"
    detail = _("Authentication credentials were not provided or are invalid.")


class Forbidden(DomainError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "permission_denied"
    detail = _("You do not have permission to perform this action.")


class NotFound(DomainError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "not_found"
    detail = _("Not found.")


class Conflict(DomainError):
    status_code = status.HTTP_409_CONFLICT
    code = "conflict"
    detail = _("The request conflicts with the current state.")


class PayloadTooLarge(DomainError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    code = "payload_too_large"
    detail = _("The upload is too large.")


class RequestTooLarge(PayloadTooLarge):
    """The whole request, judged from its headers; one code whichever limit refused it."""

    code = "request_too_large"
    detail = _("The request body is too large.")


class Unprocessable(DomainError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    code = "unprocessable"
    detail = _("The request could not be processed.")


class ServiceUnavailable(DomainError):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    code = "service_unavailable"
    detail = _("A service this request needs is unavailable. Try again later.")


def error_body(code: str, detail: Any, errors: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "detail": str(detail)}
    if errors:
        body["errors"] = errors
    return body


def _is_dependency_failure(exc: Exception) -> bool:
    if isinstance(exc, (OperationalError, InterfaceError, ServiceUnavailable)):
        return True
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError
    except ImportError:  # pragma: no cover - redis is a pinned dependency
        return False
    return isinstance(exc, (RedisConnectionError, RedisTimeoutError))


def _drf_error(exc: drf_exceptions.APIException) -> tuple[str, str, Any]:
    if isinstance(exc, drf_exceptions.ValidationError):
        errors = exc.detail
        if isinstance(errors, list):
            errors = {"non_field_errors": errors}
        return "invalid_input", gettext("Invalid input."), errors
    codes = exc.get_codes()
    code = codes if isinstance(codes, str) else exc.default_code
    detail = exc.detail
    if isinstance(detail, dict):  # simplejwt nests its message: {"detail", "code", "messages"}
        detail = detail.get("detail", exc.default_detail)
    return code, str(detail), None


def _django_validation_errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    """A model's full_clean() or a validator's error, keyed like DRF's (non_field_errors for the rest)."""
    if hasattr(exc, "error_dict"):
        return {("non_field_errors" if field == NON_FIELD_ERRORS else field): messages
                for field, messages in exc.message_dict.items()}
    return {"non_field_errors": list(exc.messages)}


def api_exception_handler(exc: Exception, context: dict) -> Response:
    """DRF's EXCEPTION_HANDLER: every exception becomes our error shape."""
    if isinstance(exc, RequestDataTooBig):
        # Django refuses these from the headers, before reading the body: answering is cheap.
        exc = RequestTooLarge()
    elif isinstance(exc, (TooManyFieldsSent, TooManyFilesSent)):
        exc = InvalidInput(str(exc) or gettext("The request has too many fields or files."),
                           code="too_many_fields")
    elif isinstance(exc, DjangoValidationError):
        # A rule enforced by a model or validator inside a service is bad input, not a crash.
        exc = InvalidInput(errors=_django_validation_errors(exc))
    elif isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = drf_exceptions.PermissionDenied()

    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, exc.detail, exc.errors), status=exc.status_code, headers=exc.headers)

    if isinstance(exc, drf_exceptions.APIException):
        code, detail, errors = _drf_error(exc)
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        return Response(error_body(code, detail, errors), status=exc.status_code, headers=headers)

    if _is_dependency_failure(exc):
        logger.error("Dependency failure: %s", exc, exc_info=exc)
        unavailable = ServiceUnavailable()
        return Response(error_body(unavailable.code, unavailable.detail), status=unavailable.status_code)

    logger.error("Unhandled error", exc_info=exc)
    return Response(error_body("server_error", gettext("Internal server error.")),
                    status=status.HTTP_500_INTERNAL_SERVER_ERROR)


# Django-level handlers for errors raised outside DRF views (unknown URLs, middleware).
def _wants_json(request) -> bool:
    return not request.path.startswith("/admin/")


def _django_handler(status_code: int, code: str, detail: Any):
    # `detail` is lazy: translated when a request is answered, in its language.
    def handler(request, exception=None):
        if _wants_json(request):
            return JsonResponse(error_body(code, detail), status=status_code)
        from django.views import defaults

        fallback = {400: defaults.bad_request, 403: defaults.permission_denied, 404: defaults.page_not_found}
        if status_code == 500:
            return defaults.server_error(request)
        return fallback[status_code](request, exception)

    return handler


handler400 = _django_handler(400, "bad_request", _("Bad request."))
handler403 = _django_handler(403, "permission_denied", _("You do not have permission to perform this action."))
handler404 = _django_handler(404, "not_found", _("Not found."))
handler500 = _django_handler(500, "server_error", _("Internal server error."))


def dependency_failure_response(exc: Exception) -> JsonResponse | None:
    """Used by middleware so non-DRF views also answer 503 JSON when a dependency fails."""
    if _is_dependency_failure(exc):
        logger.error("Dependency failure: %s", exc, exc_info=exc)
        unavailable = exc if isinstance(exc, ServiceUnavailable) else ServiceUnavailable()
        return JsonResponse(error_body(unavailable.code, unavailable.detail), status=503)
    return None


__all__ = [
    "DomainError", "InvalidInput", "NotAuthenticated", "Forbidden", "NotFound", "Conflict",
    "PayloadTooLarge", "RequestTooLarge", "Unprocessable", "ServiceUnavailable", "api_exception_handler",
    "error_body",
    "handler400", "handler403", "handler404", "handler500", "dependency_failure_response",
]
