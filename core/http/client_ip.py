"""The caller's IP address, trusting X-Forwarded-For only as far as our own proxies wrote it.

Used by the rate limits (per-IP budgets) and by the /metrics allow-list, so both agree on who
is calling.
"""

import ipaddress
from collections.abc import Iterable

from django.conf import settings


def client_ip(request) -> str:
    """REMOTE_ADDR, or with TRUSTED_PROXY_COUNT = N the Nth X-Forwarded-For entry from the right.

    Each proxy appends the address it received the request from, so the last N entries were
    written by our N proxies and the Nth from the right is the address the outermost one saw.
    Anything further left was sent by the client and can be forged. A header with fewer
    entries than proxies means one was bypassed; then only REMOTE_ADDR can be trusted.
    """
    remote_addr = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote_addr
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < proxies:
        return remote_addr
    candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote_addr


def address_in(address: str, networks: Iterable[str]) -> bool:
    """Whether `address` lies in one of `networks` (single addresses or CIDR ranges)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(network, strict=False) for network in networks)
