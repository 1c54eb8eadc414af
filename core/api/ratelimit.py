"""API rate limits: one DRF throttle for every view, counted by django-ratelimit in the shared cache.

A view picks its budget with a class attribute `rate_limit_scope`, a key of
`settings.RATE_LIMITS` ("default" when absent). A view that serves two endpoints on one path
(GET history and POST save of /game/sessions) may give a dict of HTTP method to scope instead.

Counters live in the "counters" cache (Redis in production), so every worker shares one
budget; while Redis is unavailable each process counts on its own (core/cache.py), so limits
loosen by the number of processes instead of stopping or taking the API down.
Windows are django-ratelimit's fixed windows; a refused request gets 429 `rate_limited` with
Retry-After = seconds until its window ends.
The Django admin's sign-in form counts against the `login` budget too (limit_admin_login), its
forgotten-password form against `password_reset`.
"""

import functools
import ipaddress
import logging

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from django_ratelimit.core import get_usage
from rest_framework.exceptions import Throttled
from rest_framework.throttling import BaseThrottle

from core.http.client_ip import client_ip
from core.observability import metrics

logger = logging.getLogger(__name__)

DEFAULT_SCOPE = "default"
# Signing in and signing up come from callers not yet known: their budget is per address.
PER_IP_SCOPES = frozenset({"login", "register", "password_reset"})
# One IPv6 client usually holds a whole /64; counting single addresses would let it rotate freely.
IPV6_PREFIX = 64


class RateLimited(Throttled):
    # Lazy, like DRF's own: Throttled translates them (and picks one by `wait`) when raised, in the request's language.
    default_detail = _("Too many requests.")
    default_code = "rate_limited"
    extra_detail_singular = _("Try again in {wait} second.")
    extra_detail_plural = _("Try again in {wait} seconds.")


def scope_of(view, method: str) -> str:
    scope = getattr(view, "rate_limit_scope", DEFAULT_SCOPE)
    if isinstance(scope, dict):
        scope = scope.get(method, DEFAULT_SCOPE)
    if scope not in settings.RATE_LIMITS:
        raise ImproperlyConfigured(
            f"{type(view).__name__}.rate_limit_scope {scope!r} is not one of {sorted(settings.RATE_LIMITS)}."
        )
    return scope


def _address_key(request) -> str:
    address = client_ip(request)
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return f"ip:{address}"
    if ip.version == 6:
        ip = ipaddress.ip_network(f"{ip}/{IPV6_PREFIX}", strict=False).network_address
    return f"ip:{ip}"


def _caller_key(request, scope: str) -> str:
    user = request.user
    if scope in PER_IP_SCOPES or not (user and user.is_authenticated):
        return _address_key(request)
    return f"user:{user.pk}"


def seconds_until_allowed(request, scope: str) -> int | None:
    """Count this request against `scope`'s budget: None while within it, else seconds to wait."""
    if not settings.RATE_LIMIT_ENABLED:
        return None
    caller = _caller_key(request, scope)
    usage = get_usage(request, group=f"api:{scope}", key=lambda group, req: caller,
                      rate=settings.RATE_LIMITS[scope], increment=True)
    if usage is None:  # the counter cache answered nothing usable
        logger.warning("Rate limit %r not applied: the cache did not return a count", scope)
        metrics.record_rate_limit_unavailable()
        return None
    if not usage["should_limit"]:
        return None
    metrics.record_rate_limited(scope=scope)
    # The window's key is live through second `time_left` from now; the next one starts after.
    return max(usage["time_left"], 0) + 1


class ScopedRateLimit(BaseThrottle):
    """DEFAULT_THROTTLE_CLASSES entry. Raises RateLimited itself so the error code is ours."""

    def allow_request(self, request, view) -> bool:
        wait = seconds_until_allowed(request, scope_of(view, request.method))
        if wait is not None:
            raise RateLimited(wait=wait)
        return True


def limit_form_posts(view, *, scope: str):
    """A Django (non-API) form view whose POSTs count against `scope`'s budget, so it is no way around it."""

    @functools.wraps(view)
    def limited(request, *args, **kwargs):
        if request.method == "POST":
            wait = seconds_until_allowed(request, scope)
            if wait is not None:
                response = HttpResponse(f"Too many attempts. Try again in {wait} seconds.\n",
                                        status=429, content_type="text/plain; charset=utf-8")
                response["Retry-After"] = str(wait)
                return response
        return view(request, *args, **kwargs)

    return limited


def limit_admin_login(login_view):
    """The Django admin's sign-in form shares the API login budget."""
    return limit_form_posts(login_view, scope="login")
