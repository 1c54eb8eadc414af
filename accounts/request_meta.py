"""Who is calling: client IP, user agent and request id, for audit rows and device sessions."""

from config.client_ip import client_ip as shared_client_ip
from config.logging import request_id_var


def client_ip(request) -> str | None:
    """The caller's IP as the rate limits see it (X-Forwarded-For trusted only from our proxies)."""
    if request is None:
        return None
    return shared_client_ip(request) or None


def user_agent(request) -> str:
    if request is None:
        return ""
    return (request.META.get("HTTP_USER_AGENT") or "")[:512]


def request_id(request) -> str:
    current = request_id_var.get()
    if current and current != "-":
        return current
    return str(getattr(request, "request_id", "") or "") if request is not None else ""
