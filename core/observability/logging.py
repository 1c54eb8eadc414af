"""Every log line carries the current request ID (from the request context)."""

import logging

from core.http import context


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = context.current().request_id or "-"
        return True
