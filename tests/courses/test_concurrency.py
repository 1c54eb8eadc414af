"""Concurrent saves of one lesson by one learner: the locked progress row serializes them (PostgreSQL; SQLite
locks the whole file)."""

import threading
import uuid

import pytest
from django.db import connection, transaction

from courses.inputs import LessonAnswer
from courses.models import LessonProgress
from courses.services import record_lesson_session
from tests.accounts.factories import UserFactory
from tests.courses.factories import build_course, speeches_of


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_passes_complete_the_lesson_once_and_count_every_attempt():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (run with DATABASE_URL=postgres://...)")
    user = UserFactory()
    _, (lesson, _) = build_course(units=[[2, 1]])
    answers = [LessonAnswer(speech_id=speech.id, correct=True) for speech in speeches_of(lesson)]
    runs = 8
    barrier = threading.Barrier(runs)
    outcomes, failures = [], []

    def save():
        try:
            barrier.wait(timeout=30)
            with transaction.atomic():  # as the game app calls it: inside its save transaction
                outcomes.append(record_lesson_session(user=user, lesson_id=lesson.id, session_id=uuid.uuid4(),
                                                      answers=answers, completed_at=lesson.unit.course.created_at))
        except Exception as exc:  # reported below
            failures.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=save) for _ in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not failures, failures
    assert sum(outcome.newly_completed for outcome in outcomes) == 1
    progress = LessonProgress.objects.get(user=user, lesson=lesson)
    assert (progress.attempts, progress.best_score) == (runs, 100.0)
