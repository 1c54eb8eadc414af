from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from uuid import UUID
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from content.models import Tag
from core.timezones import user_zone
from game.exceptions import SessionForbidden, SessionNotFound
from game.models import GameResult, GameSession

if TYPE_CHECKING:
    from accounts.models import User



@dataclass(frozen=True)
class SessionDetail:
    """A session with its results in sequence order and the names of the tags it was drawn from."""

    session: GameSession
    results: list[GameResult]
    selected_tag_names: list[str]


def local_day_start(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def session_history(*, user: User, mode: str | None = None, level: str | None = None,
                    from_date: date | datetime | None = None,
                    to_date: date | datetime | None = None) -> QuerySet[GameSession]:
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


def session_detail(*, session_id: UUID, user: User) -> SessionDetail:
    """One session with its results, their speeches and tags, in a fixed number of queries.

    404 when missing, 403 when someone else's.
    """
    session = GameSession.objects.filter(id=session_id).first()
    if session is None:
        raise SessionNotFound()
    if session.user_id != user.id:
        raise SessionForbidden()
    results = GameResult.objects.filter(session=session).select_related("speech").prefetch_related(
        "speech__tags").order_by("sequence_number")
    tag_ids = [UUID(str(tag_id)) for tag_id in session.selected_tags]
    names = dict(Tag.objects.filter(id__in=tag_ids).values_list("id", "name")) if tag_ids else {}
    return SessionDetail(session=session, results=list(results),
                         selected_tag_names=[names[tag_id] for tag_id in tag_ids if tag_id in names])
