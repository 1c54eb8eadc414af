import uuid

from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from content.models import Speech, Tag
from content.selectors import editor_speech_list
from imports.exceptions import UploadSessionNotFound
from imports.models import UploadSession


def _parse_id(session_id) -> uuid.UUID:
    try:
        return session_id if isinstance(session_id, uuid.UUID) else uuid.UUID(str(session_id))
    except (TypeError, ValueError, AttributeError) as exc:
        raise UploadSessionNotFound() from exc


def live_upload_session(session_id, *, for_update: bool = False) -> UploadSession:
    """The session unless it is unknown or expired (both are 404 to the client)."""
    sessions = UploadSession.objects.select_for_update() if for_update else UploadSession.objects.all()
    session = sessions.filter(pk=_parse_id(session_id), expires_at__gt=timezone.now()).first()
    if session is None:
        raise UploadSessionNotFound()
    return session


def expired_upload_sessions() -> QuerySet[UploadSession]:
    return UploadSession.objects.filter(expires_at__lte=timezone.now())


def existing_tags_by_lower_name(names: list[str]) -> dict[str, Tag]:
    lowered = {name.lower() for name in names}
    if not lowered:
        return {}
    tags = Tag.objects.annotate(lower_name=Lower("name")).filter(lower_name__in=lowered)
    return {tag.lower_name: tag for tag in tags}


def speeches_for_export(**filters) -> QuerySet[Speech]:
    """The editor list's speeches (same filters: level, type, tag_id, search), oldest first, tags prefetched."""
    return editor_speech_list(**filters).order_by("created_at", "id")
