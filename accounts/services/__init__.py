"""Every write and business rule of the accounts app (split by topic, re-exported here)."""

from accounts.services.audit import record_audit_event
from accounts.services.profile import update_profile

__all__ = ["record_audit_event", "update_profile"]
