"""Writing the audit trail, and trimming it. Actor, IP and request id come from the request context."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Model
from django.utils import timezone

from audit.admin_log import log_for_admin
from audit.models import AuditLog
from core.http import context

if TYPE_CHECKING:
    from accounts.models import User

REDACTED_WORDS = {"password", "passwd", "pwd", "token", "tokens", "secret", "secrets", "key", "apikey", "credentials"}
REDACTED_FRAGMENTS = ("password", "token", "secret")
_WORD_SPLIT = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")

# Rows per DELETE when the log is trimmed: each batch is its own short transaction.
PURGE_BATCH = 10_000

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
    log_for_admin(action, target, changes or {}, actor)
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


def purge_audit_log(*, older_than_days: int | None = None) -> int:
    """Delete audit rows older than `older_than_days` (default AUDIT_RETENTION_DAYS); returns how many.

    0 keeps the log forever. The rows go oldest first, `PURGE_BATCH` per DELETE, each its
    own transaction when called outside one (as a command or job does): trimming years of
    log never holds one huge transaction or lock, and a purge that is stopped has still
    removed everything before some instant, so running it again simply continues. One
    `audit.purged` row records a purge that deleted something: the trail shows its own trimming.
    """
    days = settings.AUDIT_RETENTION_DAYS if older_than_days is None else older_than_days
    if not days:
        return 0
    if days < 0:
        raise ValueError("Audit log retention is zero days (keep forever) or more.")
    cutoff = timezone.now() - timedelta(days=days)
    expired = AuditLog.objects.filter(created_at__lt=cutoff).order_by("created_at")
    deleted = 0
    while True:
        # A subquery, so one statement per batch and no ids travel to Python; the created_at index serves it.
        count, _ = AuditLog.objects.filter(pk__in=expired.values("pk")[:PURGE_BATCH]).delete()
        deleted += count
        if count < PURGE_BATCH:  # a short batch was the last one
            break
    if deleted:
        record("audit.purged", ("audit_log", ""), {"deleted": deleted, "older_than_days": days, "before": cutoff})
    return deleted
