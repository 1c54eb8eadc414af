"""Every write and business rule of the accounts app (split by topic, re-exported here)."""

from accounts.services.audit import record_audit_event

__all__ = ["record_audit_event"]
