"""Changes to a user's own profile."""

from accounts.models import User
from accounts.services.audit import record_audit_event

EDITABLE_FIELDS = ("name", "avatar_url", "timezone")


def update_profile(*, user: User, changes: dict, request=None) -> User:
    """Apply validated `changes` (any of name, avatar_url, timezone) and audit what changed."""
    before, after = {}, {}
    for field in EDITABLE_FIELDS:
        if field in changes and getattr(user, field) != changes[field]:
            before[field] = getattr(user, field)
            after[field] = changes[field]
            setattr(user, field, changes[field])
    if after:
        user.save(update_fields=[*after, "updated_at"])
        record_audit_event(action="user.profile_update", actor=user, object_type="user", object_id=str(user.pk),
                           changes={"before": before, "after": after}, request=request)
    return user
