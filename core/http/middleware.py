"""The request context (request ID, client IP, user agent, user) and one access-log line per request."""

import logging
import re
import time
import uuid

from core.exceptions import dependency_failure_response
from core.http import context

access_logger = logging.getLogger("englishapp.access")

# A client-sent ID is echoed into headers and logs, so only safe characters are kept.
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestContextMiddleware:
    header = "X-Request-ID"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get(self.header, "")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        started = time.perf_counter()
        with context.bind(context.context_for_request(request, request_id)):
            response = self.get_response(request)
            response[self.header] = request_id
            self._log(request, response.status_code, started)
        return response

    def process_exception(self, request, exception):
        return dependency_failure_response(exception)

    @staticmethod
    def _log(request, status_code: int, started: float) -> None:
        user = getattr(request, "user", None)
        user_id = str(user.pk) if user is not None and user.is_authenticated else None
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        access_logger.info(
            "%s %s %s %.1fms",
            request.method, request.path, status_code, duration_ms,
            extra={"method": request.method, "path": request.path, "status": status_code,
                   "duration_ms": duration_ms, "user_id": user_id},
        )
