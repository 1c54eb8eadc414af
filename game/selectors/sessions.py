from datetime import date, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import QuerySet

from content.models import Tag
from game.exceptions import SessionForbidden, SessionNotFound
from game.models import GameResult, GameSession

UTC = ZoneInfo("UTC")


def user_zone(user) -> ZoneInfo:
    """The learner's time zone; UTC when unset or unknown."""
    try:
        return ZoneInfo(user.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def local_day_start(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def session_history(*, user, mode: str | None = None, level: str | None = None,
                    from_date: date | datetime | None = None, to_date: date | datetime | None = None) -> QuerySet:
    """The learner's sessions, newest completed first.

    A date bound is a whole day in the learner's time zone (to_date includes all of it);
    a datetime bound is an exact instant. Both bounds are inclusive.
    """
    sessions = GameSession.objects.filter(user=user)
    if mode:
        sessions = sessions.filter(mode=mode)
    if level:
        sessions = sessions.filter(level=level)
    zone = user_zone(user)
    if isinstance(from_date, datetime):
        sessions = sessions.filter(completed_at__gte=from_date)
    elif from_date is not None:
        sessions = sessions.filter(completed_at__gte=local_day_start(from_date, zone))
    if isinstance(to_date, datetime):
        sessions = sessions.filter(completed_at__lte=to_date)
    elif to_date is not None:
        sessions = sessions.filter(completed_at__lt=local_day_start(to_date + timedelta(days=1), zone))
    # The id breaks ties so pages never repeat or skip a session.
    return sessions.order_by("-completed_at", "-id").only(
        "id", "mode", "level", "sentence_type", "total_sentences", "correct_count", "max_streak",
        "duration_seconds", "completed_at",
    )


def session_detail(*, session_id, user) -> GameSession:
    """One session with its results (sequence order), their speeches and tags, in a fixed number of queries.

    Sets `selected_tag_names` on the session. 404 when missing, 403 when someone else's.
    """
    session = GameSession.objects.filter(id=session_id).first()
    if session is None:
        raise SessionNotFound()
    if session.user_id != user.id:
        raise SessionForbidden()
    results = GameResult.objects.filter(session=session).select_related("speech").prefetch_related(
        "speech__tags").order_by("sequence_number")
    session.ordered_results = list(results)
    tag_ids = [UUID(str(tag_id)) for tag_id in session.selected_tags]
    names = dict(Tag.objects.filter(id__in=tag_ids).values_list("id", "name")) if tag_ids else {}
    session.selected_tag_names = [names[tag_id] for tag_id in tag_ids if tag_id in names]
    return session
