"""The contract the game app calls when it saves a session that played a lesson."""

import uuid
from datetime import UTC, datetime

import pytest
from django.utils import timezone

from courses.exceptions import LessonLocked, LessonMismatch, LessonNotFound
from courses.inputs import LessonAnswer
from courses.models import CourseStatus, LessonProgress
from courses.services import check_lesson_session, record_lesson_session
from tests.courses.factories import build_course, speeches_of

pytestmark = pytest.mark.django_db

PLAYED_AT = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)


def play(user, lesson, *, correct: int | None = None, session_id=None, completed_at=PLAYED_AT, answers=None):
    """Answer the lesson's sentences in order, the first `correct` of them correctly (all by default)."""
    speeches = speeches_of(lesson)
    correct = len(speeches) if correct is None else correct
    answers = answers if answers is not None else [
        LessonAnswer(speech_id=speech.id, correct=n < correct) for n, speech in enumerate(speeches)]
    return record_lesson_session(user=user, lesson_id=lesson.id, session_id=session_id or uuid.uuid4(),
                                 answers=answers, completed_at=completed_at)


def test_the_pass_rule_at_the_threshold(user):
    _, (first, second) = build_course(units=[[5, 1]])

    failed = play(user, first, correct=3)
    passed = play(user, first, correct=4)

    assert (failed.score, failed.passed, failed.newly_completed) == (60.0, False, False)
    assert failed.next_lesson_id == first.id  # try again
    assert (passed.score, passed.passed, passed.newly_completed) == (80.0, True, True)
    assert passed.next_lesson_id == second.id
    progress = LessonProgress.objects.get(user=user, lesson=first)
    assert (progress.attempts, progress.best_score, progress.completed_at) == (2, 80.0, PLAYED_AT)


def test_attempts_count_the_best_score_stays_and_the_first_pass_dates_the_completion(user):
    _, (lesson, _) = build_course(units=[[4], [1]])
    play(user, lesson, correct=4, completed_at=PLAYED_AT)
    session = uuid.uuid4()

    again = play(user, lesson, correct=1, session_id=session, completed_at=timezone.now())

    assert (again.passed, again.newly_completed, again.course_completed) == (False, False, False)
    progress = LessonProgress.objects.get(user=user, lesson=lesson)
    assert (progress.attempts, progress.best_score, progress.completed_at, progress.last_session_id) == (
        2, 100.0, PLAYED_AT, session)


def test_unanswered_sentences_count_as_wrong_and_any_correct_answer_makes_a_sentence_correct(user):
    _, (lesson,) = build_course(units=[[4]])
    a, b, c, _ = speeches_of(lesson)
    answers = [LessonAnswer(a.id, False), LessonAnswer(a.id, True), LessonAnswer(b.id, True),
               LessonAnswer(b.id, False), LessonAnswer(c.id, False)]

    outcome = play(user, lesson, answers=answers)

    assert (outcome.score, outcome.passed) == (50.0, False)


def test_archived_sentences_do_not_count(user):
    _, (lesson,) = build_course(units=[[5]])
    speeches = speeches_of(lesson)
    speeches[0].archived_at = timezone.now()
    speeches[0].save()

    outcome = play(user, lesson, answers=[LessonAnswer(s.id, True) for s in speeches[1:]])

    assert (outcome.score, outcome.passed) == (100.0, True)


def test_a_lesson_pass_ratio_and_the_setting(user, settings):
    _, (strict, lenient) = build_course(units=[[2, 2]])
    strict.pass_ratio = 1.0
    strict.save()
    settings.COURSE_LESSON_PASS_RATIO = 0.5

    assert play(user, strict, correct=1).passed is False
    assert play(user, strict, correct=2).passed is True
    assert play(user, lenient, correct=1).passed is True


def test_passing_the_last_lesson_completes_the_course_once(user):
    course, (first, last) = build_course(units=[[1], [1]])

    play(user, first)
    finished = play(user, last)
    replayed = play(user, last)

    assert (finished.newly_completed, finished.course_completed, finished.next_lesson_id) == (True, True, None)
    assert finished.course_id == course.id
    assert (replayed.passed, replayed.newly_completed, replayed.course_completed) == (True, False, False)


def test_the_same_session_counts_once(user):
    _, (lesson,) = build_course(units=[[2]])
    session = uuid.uuid4()

    first = play(user, lesson, session_id=session)
    repeat = play(user, lesson, session_id=session)

    assert first.newly_completed is True and repeat.newly_completed is False
    assert LessonProgress.objects.get(user=user, lesson=lesson).attempts == 1


def test_recording_a_locked_lesson_is_refused_and_writes_nothing(user):
    _, (_, second) = build_course(units=[[1, 1]])

    with pytest.raises(LessonLocked):
        play(user, second)
    assert not LessonProgress.objects.exists()


# --- check_lesson_session ---------------------------------------------------------------------

def test_check_accepts_the_lesson_sentences_archived_ones_included(user):
    _, (lesson,) = build_course(units=[[3]])
    speeches = speeches_of(lesson)
    speeches[2].archived_at = timezone.now()
    speeches[2].save()

    check_lesson_session(user=user, lesson_id=lesson.id, speech_ids=[s.id for s in speeches[:1] + speeches[2:]])


def test_check_names_every_sentence_not_in_the_lesson_once(user):
    _, (lesson, other) = build_course(units=[[2, 1]])
    mine, stranger = speeches_of(lesson)[0], speeches_of(other)[0]
    unknown = uuid.uuid4()

    with pytest.raises(LessonMismatch) as refused:
        check_lesson_session(user=user, lesson_id=lesson.id,
                             speech_ids=[mine.id, stranger.id, unknown, stranger.id])

    assert refused.value.status_code == 400 and refused.value.code == "lesson_mismatch"
    assert refused.value.errors == {"speech_ids": [str(stranger.id), str(unknown)]}


def test_check_refuses_a_missing_a_draft_and_a_locked_lesson(user):
    _, (first, second) = build_course(units=[[1, 1]])
    _, (draft,) = build_course(units=[[1]], status=CourseStatus.DRAFT)

    for lesson_id in (uuid.uuid4(), draft.id):
        with pytest.raises(LessonNotFound) as missing:
            check_lesson_session(user=user, lesson_id=lesson_id, speech_ids=[])
        assert (missing.value.status_code, missing.value.code) == (404, "lesson_not_found")
    with pytest.raises(LessonLocked) as locked:
        check_lesson_session(user=user, lesson_id=second.id, speech_ids=[s.id for s in speeches_of(second)])
    assert (locked.value.status_code, locked.value.code) == (409, "lesson_locked")

    play(user, first)
    check_lesson_session(user=user, lesson_id=second.id, speech_ids=[s.id for s in speeches_of(second)])
