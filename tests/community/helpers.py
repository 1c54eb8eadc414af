"""Learners who earned XP this league week, and signed-in clients at a travelled-to time."""

from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from community import services
from community.models import CommunityProfile
from community.services.profiles import new_invite_code
from tests.accounts.factories import UserFactory
from tests.conftest import bearer

LEAGUE = "/api/v1/leagues/current"
PARTICIPATION = "/api/v1/users/me/leagues"
FRIENDS = "/api/v1/friends"
BOARD = "/api/v1/friends/leaderboard"
HOME = "/api/v1/home"
SESSIONS = "/api/v1/game/sessions"


def client_of(user) -> APIClient:
    """Signed in at the current (possibly travelled-to) time: a token from the future is refused."""
    client = APIClient()
    client.credentials(**bearer(user))
    return client


def on_tier(user, tier: int):
    CommunityProfile.objects.update_or_create(user=user, defaults={"tier": tier, "invite_code": new_invite_code()})
    return user


def earn(user, xp: int, *, at=None) -> None:
    """XP earned now (or at `at`), as a saved session hands it over: inside the save transaction."""
    with transaction.atomic():
        services.add_weekly_xp(user=user, xp=xp, at=at or timezone.now())


def learners_with_xp(*xps: int, tier: int = 0) -> list:
    users = []
    for xp in xps:
        user = on_tier(UserFactory(), tier)
        earn(user, xp)
        users.append(user)
    return users
