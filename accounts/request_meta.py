"""Who is calling: client IP, user agent and request id, for audit rows and device sessions."""

import ipaddress

from config.client_ip import client_ip as shared_client_ip
from config.logging import request_id_var


def client_ip(request) -> str | None:
    """The caller's IP as the rate limits see it (X-Forwarded-For trusted only from our proxies).

    None when there is no request or no valid address (it is stored in inet columns).
    """
    if request is None:
        return None
    try:
        return str(ipaddress.ip_address(shared_client_ip(request)))
    except ValueError:
        return None


def user_agent(request) -> str:
    if request is None:
        return ""
    return (request.META.get("HTTP_USER_AGENT") or "")[:512]


def request_id(request) -> str:
    current = request_id_var.get()
    if current and current != "-":
        return current
    return str(getattr(request, "request_id", "") or "") if request is not None else ""
