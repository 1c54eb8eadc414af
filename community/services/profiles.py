"""A learner's community profile, made on first need with an invite code no one else holds."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction

from community.models import CommunityProfile

if TYPE_CHECKING:
    from accounts.models import User

# No 0/O or 1/I/L: the code is read aloud and typed from a screenshot.
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
INVITE_CODE_LENGTH = 8


def new_invite_code() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(INVITE_CODE_LENGTH))


def normalise_invite_code(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def profile_of(user: User, *, lock: bool = False) -> CommunityProfile:
    queryset = CommunityProfile.objects.select_for_update() if lock else CommunityProfile.objects
    profile = queryset.filter(user=user).first()
    if profile is not None:
        return profile
    for _ in range(5):
        try:
            with transaction.atomic():
                CommunityProfile.objects.create(user=user, invite_code=new_invite_code())
        except IntegrityError:
            pass  # a concurrent first request made it, or (one in 10^12) the code was taken: look again
        profile = queryset.filter(user=user).first()
        if profile is not None:
            return profile
    raise RuntimeError("could not create a community profile")
