from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import DeviceSession, User


def active_sessions(*, user: User) -> QuerySet[DeviceSession]:
    """The devices `user` is signed in on, most recently used first."""
    return DeviceSession.objects.filter(user=user, revoked_at__isnull=True,
                                        expires_at__gt=timezone.now()).order_by("-last_used_at")
