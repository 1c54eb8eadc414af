from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from content import selectors as content_selectors
from content.cache import CONTENT_GENERATION
from content.selectors import SerializeItems
from core.cache import read_through
from core.timezones import user_zone
from game.exceptions import SessionForbidden, SessionNotFound
from game.models import GameResult, GameSession

if TYPE_CHECKING:
    from accounts.models import User

# A bound on what a lost generation bump (the cache away at that moment) can leave stale.
SESSION_DETAIL_CACHE_SECONDS = 3600


@dataclass(frozen=True)
class SessionDetail:
    """A session, the names of the tags it was drawn from, and its results in sequence order as rows in the
    API's shape (each with its speech as `content.selectors.speech_items` gives it)."""

    session: GameSession
    results: list[dict[str, Any]]
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


def _detail_of(session: GameSession, serialize: SerializeItems) -> SessionDetail:
    rows = list(GameResult.objects.filter(session=session).order_by("sequence_number").values(
        "sequence_number", "speech_id", "user_response", "pronunciation_score", "recognized_text",
        "response_time_ms"))
    items = dict(zip(*_speech_ids_and_items(rows, serialize), strict=True))
    results = [{"sequence_number": row["sequence_number"], "speech": items[row["speech_id"]],
                "user_response": row["user_response"], "pronunciation_score": row["pronunciation_score"],
                "recognized_text": row["recognized_text"], "response_time_ms": row["response_time_ms"]}
               for row in rows]
    tag_ids = [UUID(str(tag_id)) for tag_id in session.selected_tags]
    names = content_selectors.tag_names(tag_ids) if tag_ids else {}
    return SessionDetail(session=session, results=results,
                         selected_tag_names=[names[tag_id] for tag_id in tag_ids if tag_id in names])


def _speech_ids_and_items(rows: list[dict[str, Any]], serialize: SerializeItems) -> tuple[list[UUID], list[dict]]:
    # Results keep their speech (PROTECT), archived or not: every id has its item.
    speech_ids = list(dict.fromkeys(row["speech_id"] for row in rows))
    return speech_ids, content_selectors.speech_items(speech_ids, serialize=serialize, archived_too=True)


def session_detail(*, session_id: UUID, user: User, serialize: SerializeItems,
                   represent: Callable[[SessionDetail], dict[str, Any]]) -> dict[str, Any]:
    """One session with its results, their speeches and tags, as `represent` shapes a `SessionDetail` (the
    speeches' items as `serialize` makes them, see `content.selectors.speech_items`).

    Cached: a saved session never changes, so only an edit of the content its results show (a speech's text or
    tags, a tag's name) moves it, and that bumps the content generation. Uncached, two queries (the session and
    its results), the speeches' items from the content cache and the tag names from this process's list.

    404 when missing (nothing is cached for an id that names no session), 403 when someone else's.
    """
    def load() -> dict[str, Any]:
        session = GameSession.objects.filter(id=session_id).defer("outcome").first()
        if session is None:
            raise SessionNotFound()
        return {"user_id": session.user_id, "body": represent(_detail_of(session, serialize))}

    cached = read_through("session-detail", (session_id,), (CONTENT_GENERATION,), load,
                          timeout=SESSION_DETAIL_CACHE_SECONDS)
    if cached["user_id"] != user.id:
        raise SessionForbidden()
    return cached["body"]
