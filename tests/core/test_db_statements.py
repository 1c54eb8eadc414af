"""The two statements the ORM cannot write, on whichever database the suite runs (SQLite or PostgreSQL)."""

from datetime import date

import pytest
from django.db.models import F

from community.models import WeeklyXp
from core.db.statements import add_to_counters, update_returning
from game.models import LearnerTagStats
from tests.accounts.factories import UserFactory
from tests.content.factories import TagFactory

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 11, 30)


def test_counters_are_inserted_or_added_to_in_one_statement(django_assert_num_queries):
    learner, other = UserFactory(), UserFactory()
    food, travel = TagFactory(), TagFactory()
    LearnerTagStats.objects.create(user=learner, tag=food, sentences=10, correct=7)
    LearnerTagStats.objects.create(user=other, tag=food, sentences=4, correct=4)

    with django_assert_num_queries(1):
        add_to_counters(LearnerTagStats, unique_fields=["user", "tag"], counters=["sentences", "correct"], rows=[
            {"user_id": learner.pk, "tag_id": food.pk, "sentences": 3, "correct": 1},
            {"user_id": learner.pk, "tag_id": travel.pk, "sentences": 2, "correct": 2},
        ])

    rows = {(row.user_id, row.tag_id): (row.sentences, row.correct) for row in LearnerTagStats.objects.all()}
    assert rows == {(learner.pk, food.pk): (13, 8), (learner.pk, travel.pk): (2, 2), (other.pk, food.pk): (4, 4)}


def test_no_rows_is_no_statement(django_assert_num_queries):
    with django_assert_num_queries(0):
        add_to_counters(LearnerTagStats, unique_fields=["user", "tag"], counters=["sentences"], rows=[])


def test_an_update_returns_the_rows_it_changed_as_the_orm_reads_them():
    learner, other = UserFactory(), UserFactory()
    mine = WeeklyXp.objects.create(user=learner, week_start=MONDAY, xp=40)
    WeeklyXp.objects.create(user=other, week_start=MONDAY, xp=15)

    returned = update_returning(WeeklyXp.objects.filter(user=learner, week_start=MONDAY),
                                {"xp": F("xp") + 25}, ["id", "user_id", "xp"])

    assert returned == [(mine.pk, learner.pk, 65)]  # the user's UUID as a UUID, on SQLite too
    assert dict(WeeklyXp.objects.values_list("user_id", "xp")) == {learner.pk: 65, other.pk: 15}


def test_an_update_that_matches_nothing_returns_nothing():
    learner = UserFactory()
    WeeklyXp.objects.create(user=learner, week_start=MONDAY, xp=40)

    assert update_returning(WeeklyXp.objects.filter(user=learner, league__isnull=False),
                            {"xp": F("xp") + 25}, ["id"]) == []
    assert WeeklyXp.objects.get(user=learner).xp == 40
