"""Writing the audit trail. Actor, IP and request id come from the request context."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django.db.models import Model

from audit.models import AuditLog
from core.http import context

if TYPE_CHECKING:
    from accounts.models import User

REDACTED_WORDS = {"password", "passwd", "pwd", "token", "tokens", "secret", "secrets", "key", "apikey", "credentials"}
REDACTED_FRAGMENTS = ("password", "token", "secret")
_WORD_SPLIT = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")

# What an audit target is: a model instance, or (type, id) for something without one (a batch, a deleted row).
Target = Model | tuple[str, Any] | None


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


def _type_and_id(target: Target) -> tuple[str, str]:
    if target is None:
        return "", ""
    if isinstance(target, Model):
        # A model may name itself for the trail (DeviceSession -> "device_session").
        return getattr(target, "audit_type", target._meta.model_name), str(target.pk or "")
    object_type, object_id = target
    return object_type, str(object_id or "")


def record(action: str, target: Target = None, changes: dict | None = None, *, actor: User | None = None,
           actor_email: str = "") -> AuditLog:
    """Write one audit row about `target`.

    The actor defaults to whoever the request context names (the signed-in user, or the
    person a command runs for); `actor_email` names an actor without an account (a failed
    login for an unknown email).
    """
    bound = context.current()
    if actor is None:
        actor = bound.user
    if actor is not None and not actor_email:
        actor_email = actor.email
    object_type, object_id = _type_and_id(target)
    return AuditLog.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        actor_email=(actor_email or "")[:254],
        action=action,
        object_type=object_type,
        object_id=object_id,
        changes=strip_secrets(changes or {}),
        ip=bound.ip,
        request_id=bound.request_id,
    )
