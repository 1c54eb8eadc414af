"""Who is calling: client IP, user agent and request id, for audit rows and device sessions."""

from django.conf import settings

from config.logging import request_id_var


def client_ip(request) -> str | None:
    """The caller's IP; X-Forwarded-For is trusted only for the configured number of proxies.

    Uses DRF's NUM_PROXIES so rate limiting and the audit trail agree on who the caller is.
    """
    if request is None:
        return None
    meta = request.META
    num_proxies = settings.REST_FRAMEWORK.get("NUM_PROXIES")
    forwarded = meta.get("HTTP_X_FORWARDED_FOR")
    if num_proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-min(num_proxies, len(hops))]
    return meta.get("REMOTE_ADDR") or None


def user_agent(request) -> str:
    if request is None:
        return ""
    return (request.META.get("HTTP_USER_AGENT") or "")[:512]


def request_id(request) -> str:
    current = request_id_var.get()
    if current and current != "-":
        return current
    return str(getattr(request, "request_id", "") or "") if request is not None else ""
