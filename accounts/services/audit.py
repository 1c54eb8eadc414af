"""The audit trail: one row per security-relevant or editorial action."""

import re
from typing import Any

from accounts.models import AuditLog, User
from accounts.request_meta import client_ip, request_id

REDACTED_WORDS = {"password", "passwd", "pwd", "token", "tokens", "secret", "secrets", "key", "apikey", "credentials"}
REDACTED_FRAGMENTS = ("password", "token", "secret")
_WORD_SPLIT = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def looks_secret(name: str) -> bool:
    """True for keys such as `password`, `new_password`, `refresh_token`, `apiKey`, `signing_key`."""
    words = _WORD_SPLIT.split(_CAMEL.sub("_", str(name)).lower())
    lowered = str(name).lower()
    return any(word in REDACTED_WORDS for word in words) or any(frag in lowered for frag in REDACTED_FRAGMENTS)


def strip_secrets(value: Any) -> Any:
    """A copy of `value` without any dict entry whose key looks secret, at any depth."""
    if isinstance(value, dict):
        return {key: strip_secrets(item) for key, item in value.items() if not looks_secret(key)}
    if isinstance(value, (list, tuple)):
        return [strip_secrets(item) for item in value]
    return value


def record_audit_event(
    *,
    action: str,
    actor: User | None = None,
    object_type: str = "",
    object_id: str = "",
    changes: dict | None = None,
    request=None,
    actor_email: str = "",
) -> AuditLog:
    """Write one audit row. The actor defaults to the request's signed-in user.

    `actor_email` names the actor when there is no account (e.g. a failed login for
    an unknown email); with an actor it defaults to the actor's email.
    """
    if actor is None and request is not None:
        request_user = getattr(request, "user", None)
        if request_user is not None and request_user.is_authenticated:
            actor = request_user
    if actor is not None and not actor_email:
        actor_email = actor.email
    return AuditLog.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        actor_email=(actor_email or "")[:254],
        action=action,
        object_type=object_type,
        object_id=str(object_id or ""),
        changes=strip_secrets(changes or {}),
        ip=client_ip(request),
        request_id=request_id(request)[:128],
    )
