"""What a saved session sets in motion beyond its own rows: the lesson it completes, XP and achievements,
the week's league XP, its sentences' review memory, the learner's per-tag counts and progress totals.

`sessions.save_session` calls `check_lesson` before it writes anything (a session naming a lesson it does
not belong to is refused whole) and `apply` inside its save transaction, so a session is paid exactly once
and together with its rows. What `apply` returns is stored with the session, so a retried save answers with
the rewards of the first one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from uuid import UUID

from community import services as community_services
from core.cache import bump_generation, learner_generation_name
from courses import services as courses_services
from courses.inputs import LessonAnswer, LessonOutcome
from game import rules
from game.inputs import SessionInput, SpeechFacts
from game.models import UserResponse
from game.services.aggregates import add_to_aggregates
from game.services.review import update_review_cards
from game.services.tag_stats import add_to_tag_stats
from rewards import services as rewards_services
from rewards.inputs import SessionFacts

if TYPE_CHECKING:
    from accounts.models import User


def check_lesson(*, user: User, session: SessionInput) -> None:
    if session.lesson_id is not None:
        courses_services.check_lesson_session(user=user, lesson_id=session.lesson_id,
                                              speech_ids=[result.speech_id for result in session.results])


def _lesson_outcome(outcome: LessonOutcome | None) -> dict[str, Any] | None:
    if outcome is None:
        return None
    return {"lesson_id": str(outcome.lesson_id), "course_id": str(outcome.course_id),
            "score": round(outcome.score, 1), "passed": outcome.passed, "completed": outcome.newly_completed,
            "course_completed": outcome.course_completed,
            "next_lesson_id": str(outcome.next_lesson_id) if outcome.next_lesson_id else None}


def apply(*, user: User, session_id: UUID, session: SessionInput,
          speeches: Mapping[UUID, SpeechFacts]) -> dict[str, Any]:
    """Run inside the save transaction; returns the JSON stored with the session as its outcome.

    The lesson row (one learner, one lesson) is locked before the learner's stats row, always in that
    order, so concurrent saves of one learner queue without deadlocking.
    """
    results = session.ordered_results
    high_scores = sum(1 for r in results if r.pronunciation_score is not None
                      and r.pronunciation_score >= rules.HIGH_SCORE)
    lesson = None
    if session.lesson_id is not None:
        lesson = courses_services.record_lesson_session(
            user=user, lesson_id=session.lesson_id, session_id=session_id, completed_at=session.completed_at,
            answers=[LessonAnswer(speech_id=r.speech_id, correct=r.user_response == UserResponse.CORRECT)
                     for r in results])
    rewards = rewards_services.record_session(user=user, facts=SessionFacts(
        session_id=session_id, completed_at=session.completed_at, level=session.level,
        sentences=session.total_sentences, correct=session.correct_count, high_scores=high_scores,
        lesson_completed=bool(lesson and lesson.newly_completed),
        course_completed=bool(lesson and lesson.course_completed),
    ))
    # After the stats-row lock: two saves cannot race to create the same first review card, tag or week row.
    community_services.add_weekly_xp(user=user, xp=rewards.xp_awarded, at=session.completed_at)
    update_review_cards(user=user, reviewed_at=session.completed_at, answers=results)
    add_to_tag_stats(user=user, results=results, tags_of={key: facts.tag_ids for key, facts in speeches.items()})
    add_to_aggregates(user=user, session=session, levels={key: facts.level for key, facts in speeches.items()})
    bump_generation(learner_generation_name(user.pk))  # after the commit: the home screen reads it all anew
    return {"rewards": rewards.as_dict(), "lesson": _lesson_outcome(lesson)}
