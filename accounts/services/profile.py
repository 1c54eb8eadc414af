"""Changes to a user's own profile."""

import audit
from accounts.exceptions import EmailChangeNeedsConfirmation
from accounts.models import User, normalise_email

EDITABLE_FIELDS = ("name", "avatar_url", "timezone")


def update_profile(*, user: User, changes: dict) -> User:
    """Apply validated `changes` (any of name, avatar_url, timezone) and audit what changed.

    An `email` other than the current one is refused: it changes only once the new address
    confirms it (services/verification.py), never silently here.
    """
    if "email" in changes and normalise_email(changes["email"]) != user.email:
        raise EmailChangeNeedsConfirmation(errors={"email": [str(EmailChangeNeedsConfirmation.detail)]})
    before, after = {}, {}
    for field in EDITABLE_FIELDS:
        if field in changes and getattr(user, field) != changes[field]:
            before[field] = getattr(user, field)
            after[field] = changes[field]
            setattr(user, field, changes[field])
    if after:
        user.save(update_fields=[*after, "updated_at"])
        audit.record("user.profile_update", user, {"before": before, "after": after}, actor=user)
    return user
