from datetime import timedelta

import factory
from django.utils import timezone

from game.models import GameMode, GameResult, GameSession, UserResponse
from game.services.aggregates import rebuild_learner_aggregates
from game.services.tag_stats import rebuild_tag_stats
from tests.accounts.factories import UserFactory
from tests.content.factories import SpeechFactory


def recount(user) -> None:
    """The learner's running totals recounted from the rows, as after an upgrade: factories write behind the
    save service's back (and a test that changes the learner's time zone recounts in the new one)."""
    rebuild_tag_stats(user=user)
    rebuild_learner_aggregates(user=user)


class GameSessionFactory(factory.django.DjangoModelFactory):
    """A session; counts default to an all-correct listen-only run of `total_sentences`."""

    class Meta:
        model = GameSession
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    mode = GameMode.LISTEN_ONLY
    level = "A1"
    sentence_type = "question"
    selected_tags = factory.LazyFunction(list)
    total_sentences = 1
    correct_count = 0
    max_streak = 0
    avg_pronunciation_score = None
    duration_seconds = 60
    completed_at = factory.LazyFunction(timezone.now)
    started_at = factory.LazyAttribute(lambda session: session.completed_at - timedelta(minutes=5))

    @factory.post_generation
    def recounted(session, create, extracted, **kwargs):
        if create and extracted is not False:
            recount(session.user)


class GameResultFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GameResult

    session = factory.SubFactory(GameSessionFactory, recounted=False)
    speech = factory.SubFactory(SpeechFactory)
    sequence_number = factory.Sequence(lambda n: n + 1)
    user_response = UserResponse.CORRECT
    pronunciation_score = None
    recognized_text = None
    response_time_ms = 3000


def played_session(*, user, answers, completed_at=None, mode=GameMode.LISTEN_AND_REPEAT, level="A1", **fields):
    """A stored session whose statistics agree with `answers`: [(speech, response, score), ...]."""
    completed_at = completed_at or timezone.now()
    responses = [response for _, response, _ in answers]
    scores = [score for _, _, score in answers if score is not None]
    streak = run = 0
    for response in responses:
        run = run + 1 if response == UserResponse.CORRECT else 0
        streak = max(streak, run)
    session = GameSessionFactory(
        user=user, mode=mode, level=level, total_sentences=len(answers),
        correct_count=responses.count(UserResponse.CORRECT), max_streak=streak,
        avg_pronunciation_score=round(sum(scores) / len(scores), 1) if scores else None,
        completed_at=completed_at, recounted=False, **fields,
    )
    for number, (speech, response, score) in enumerate(answers, start=1):
        GameResultFactory(session=session, speech=speech, sequence_number=number, user_response=response,
                          pronunciation_score=score)
    recount(user)
    return session
