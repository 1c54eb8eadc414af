import uuid

from django.db.models import QuerySet
from django.utils import timezone

from imports.exceptions import UploadSessionNotFound
from imports.models import UploadSession


def _parse_id(session_id: uuid.UUID | str) -> uuid.UUID:
    try:
        return session_id if isinstance(session_id, uuid.UUID) else uuid.UUID(str(session_id))
    except (TypeError, ValueError, AttributeError) as exc:
        raise UploadSessionNotFound() from exc


def live_upload_session(session_id: uuid.UUID | str, *, for_update: bool = False) -> UploadSession:
    """The session unless it is unknown or expired (both are 404 to the client)."""
    sessions = UploadSession.objects.select_for_update() if for_update else UploadSession.objects.all()
    session = sessions.filter(pk=_parse_id(session_id), expires_at__gt=timezone.now()).first()
    if session is None:
        raise UploadSessionNotFound()
    return session


def expired_upload_sessions() -> QuerySet[UploadSession]:
    return UploadSession.objects.filter(expires_at__lte=timezone.now())
