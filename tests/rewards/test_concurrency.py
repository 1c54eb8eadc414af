"""Concurrent saves of one learner: the locked stats row serializes them (PostgreSQL; SQLite locks the whole file)."""

import threading

import pytest
from django.db import connection, transaction

from rewards import services
from rewards.models import AchievementAward, LearnerStats, RewardedSession, XpEvent
from tests.accounts.factories import UserFactory
from tests.rewards.factories import AchievementFactory, facts


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (run with DATABASE_URL=postgres://...)")


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_saves_award_each_achievement_once_and_the_totals_agree(postgres_only):
    user = UserFactory()
    catalogue = [AchievementFactory(kind="first_session", threshold=1, xp_reward=10),
                 AchievementFactory(kind="sessions", threshold=10, xp_reward=30),
                 AchievementFactory(kind="total_xp", threshold=500, xp_reward=7)]
    sessions = [facts() for _ in range(20)]
    barrier = threading.Barrier(len(sessions))
    failures = []

    def save(session):
        try:
            barrier.wait(timeout=30)
            # As the game app calls it: inside its own save transaction.
            with transaction.atomic():
                services.record_session(user=user, facts=session)
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(session,)) for session in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not failures, failures
    assert RewardedSession.objects.filter(user=user).count() == 20
    for achievement in catalogue:
        assert AchievementAward.objects.filter(user=user, achievement=achievement).count() == 1
    ledger = sum(XpEvent.objects.filter(user=user).values_list("amount", flat=True))
    stats = LearnerStats.objects.get(user=user)
    assert stats.total_xp == ledger == 20 * 95 + 10 + 30 + 7
    assert stats.sessions == 20
