"""Who is calling, for code far from the view: request id, client IP, user agent and user.

The middleware binds one `RequestContext` per request; services, the audit log and log
lines read it with `current()` instead of having a `request` passed down to them.
Management commands and jobs bind their own (`bind(actor=..., request_id=...)`), so what
they write carries who ran them.
"""

from __future__ import annotations

import contextvars
import ipaddress
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from core.http.client_ip import client_ip

USER_AGENT_MAX_LENGTH = 512
REQUEST_ID_MAX_LENGTH = 128


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    ip: str | None = None
    user_agent: str = ""
    # Set for work that is not a request (a command run by someone); a request's user is read from it.
    actor: Any = None
    request: Any = None

    @property
    def user(self):
        """The signed-in user, or None. Read late: DRF authenticates inside the view, after the middleware."""
        if self.actor is not None:
            return self.actor
        user = getattr(self.request, "user", None) if self.request is not None else None
        return user if user is not None and user.is_authenticated else None


_NONE = RequestContext()
_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar("request_context", default=None)


def current() -> RequestContext:
    """The bound context; outside any request or command, one with nothing in it."""
    return _current.get() or _NONE


def _valid_ip(address: str) -> str | None:
    # Stored in inet columns: an address that does not parse is no address.
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def context_for_request(request, request_id: str) -> RequestContext:
    return RequestContext(
        request_id=request_id[:REQUEST_ID_MAX_LENGTH],
        ip=_valid_ip(client_ip(request)),
        user_agent=(request.META.get("HTTP_USER_AGENT") or "")[:USER_AGENT_MAX_LENGTH],
        request=request,
    )


@contextmanager
def bind(context: RequestContext | None = None, **fields: Any) -> Iterator[RequestContext]:
    """Make `context` (or the current one with `fields` replaced) current inside the block."""
    bound = context or replace(current(), **fields)
    token = _current.set(bound)
    try:
        yield bound
    finally:
        _current.reset(token)


@contextmanager
def command_context(name: str, *, actor: Any = None) -> Iterator[RequestContext]:
    """For a management command: a request id naming the command run, and who ran it."""
    with bind(RequestContext(request_id=f"{name}:{uuid.uuid4().hex[:12]}", actor=actor)) as bound:
        yield bound
