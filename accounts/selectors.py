from django.db.models import QuerySet

from accounts.models import DeviceSession, User


def active_sessions(*, user: User) -> QuerySet[DeviceSession]:
    """The devices `user` is signed in on, most recently used first."""
    return DeviceSession.objects.active().filter(user=user).order_by("-last_used_at")
