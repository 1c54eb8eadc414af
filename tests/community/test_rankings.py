"""League tables in Redis: a copy of the database, refilled when missing, never the only truth.

These need the shared cache to be Redis (REDIS_URL); with the embedded defaults tables are read from the
database, which the other league tests cover.
"""

import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection

from community import keys
from community.models import League, WeeklyXp
from core import rankings
from tests.accounts.factories import UserFactory
from tests.community.helpers import BOARD, FRIENDS, HOME, LEAGUE, client_of, earn, learners_with_xp

# Real commits: league tables in Redis are written after the commit (transaction.on_commit), as in production.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def redis_rankings():
    if not rankings.enabled():
        pytest.skip("needs Redis as the shared cache (run with REDIS_URL=redis://...)")


@pytest.fixture
def wednesday():
    with time_machine.travel(datetime(2026, 11, 18, 10, tzinfo=ZoneInfo("UTC")), tick=False):
        yield


def table_of(user) -> list[tuple[str, int]]:
    return [(row["user"]["id"], row["xp"]) for row in client_of(user).get(LEAGUE).json()["league"]["entries"]]


def test_a_read_fills_the_copy_and_later_xp_raises_it_in_place(redis_rankings, wednesday):
    first, second = learners_with_xp(10, 20)
    key = keys.league_ranking(League.objects.get().pk)
    assert rankings.top(key, ttl=60) is None  # nothing read yet

    assert table_of(first) == [(str(second.id), 20), (str(first.id), 10)]
    assert rankings.top(key, ttl=60) == [(str(second.id), 20), (str(first.id), 10)]

    earn(first, 25)
    assert rankings.top(key, ttl=60) == [(str(first.id), 35), (str(second.id), 20)]
    assert table_of(second) == [(str(first.id), 35), (str(second.id), 20)]


def test_a_lost_copy_is_rebuilt_from_the_database_and_a_write_never_makes_a_partial_one(redis_rankings, wednesday):
    first, second = learners_with_xp(10, 20)
    table_of(first)
    key = keys.league_ranking(League.objects.get().pk)
    rankings.drop(key)  # evicted, or Redis restarted empty

    earn(first, 5)
    assert rankings.top(key, ttl=60) is None  # a raise on a missing set writes nothing
    assert table_of(second) == [(str(second.id), 20), (str(first.id), 15)]
    assert rankings.top(key, ttl=60) == [(str(second.id), 20), (str(first.id), 15)]


def test_equal_xp_is_ordered_the_same_from_redis_and_from_the_database(redis_rankings, wednesday):
    learners = learners_with_xp(10, 10, 10, 10)
    from_database = table_of(learners[0])  # the miss reads the database
    assert table_of(learners[1]) == from_database  # this one comes from Redis
    assert [user_id for user_id, _ in from_database] == sorted((str(u.id) for u in learners), reverse=True)


def test_the_rebuild_command_rewrites_this_weeks_tables(redis_rankings, wednesday):
    first, second = learners_with_xp(10, 20)
    table_of(first)
    key = keys.league_ranking(League.objects.get().pk)
    # A copy that went wrong (say a write lost while Redis was away and back): the database wins.
    WeeklyXp.objects.filter(user=first).update(xp=99)
    call_command("rebuild_league_rankings", stdout=open("/dev/null", "w"))
    assert rankings.top(key, ttl=60) == [(str(first.id), 99), (str(second.id), 20)]


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_xp_of_twenty_learners_fills_leagues_without_overbooking(settings):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (run with DATABASE_URL=postgres://...)")
    settings.LEAGUE_SIZE = 6
    learners = [UserFactory() for _ in range(20)]
    barrier, failures = threading.Barrier(len(learners)), []

    def play(user):
        try:
            barrier.wait(timeout=30)
            earn(user, 10)
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=play, args=(user,)) for user in learners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not failures, failures
    seats = {league.pk: league.members for league in League.objects.all()}
    assert sum(seats.values()) == 20 and max(seats.values()) <= 6
    for league_id, members in seats.items():
        assert WeeklyXp.objects.filter(league_id=league_id).count() == members


def test_with_redis_a_warm_read_of_home_table_or_friends_costs_only_the_signed_in_user_row(
        redis_rankings, wednesday, django_assert_num_queries):
    for mates in (1, 12):
        me, *others = learners_with_xp(50, *range(1, mates + 1))  # one league; the mates are friends too
        for friend in others:
            assert client_of(friend).post(FRIENDS, {"invite_code": client_of(me).get(FRIENDS).json()["invite_code"]},
                                          format="json").status_code == 201
        client = client_of(me)
        for path in (HOME, LEAGUE, BOARD):
            first = client.get(path).json()
            with django_assert_num_queries(1):  # the user the token names
                assert client.get(path).json() == first
