"""The league rules on their own: weeks, the ladder, who moves."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from community import rules

LADDER = rules.Ladder(size=30, promote=7, demote=5)
UTC, BERLIN, SAIGON = ZoneInfo("UTC"), ZoneInfo("Europe/Berlin"), ZoneInfo("Asia/Ho_Chi_Minh")


def test_a_league_week_starts_on_monday_in_the_league_time_zone():
    # Sunday 18:30 UTC is already Monday 01:30 in Saigon.
    sunday_evening = datetime(2026, 11, 29, 18, 30, tzinfo=UTC)
    assert rules.week_start(sunday_evening, UTC) == date(2026, 11, 23)
    assert rules.week_start(sunday_evening, SAIGON) == date(2026, 11, 30)


def test_a_week_across_a_daylight_saving_change_ends_at_local_midnight():
    # Berlin leaves summer time on Sunday 25 October 2026: that week is 169 hours long.
    begins, ends = rules.week_bounds(date(2026, 10, 19), BERLIN)
    assert begins.isoformat() == "2026-10-19T00:00:00+02:00"
    assert ends.isoformat() == "2026-10-26T00:00:00+01:00"
    assert (ends.astimezone(UTC) - begins.astimezone(UTC)).total_seconds() == 169 * 3600
    assert rules.week_start(datetime(2026, 10, 25, 23, 30, tzinfo=UTC), BERLIN) == date(2026, 10, 26)


@pytest.mark.parametrize(("members", "tier", "expected"), [
    (30, 3, (7, 5)),     # a full league
    (10, 3, (3, 1)),     # smaller: promotions round up, demotions down
    (1, 3, (1, 0)),      # alone: the learner who played goes up
    (30, 0, (7, 0)),     # nobody falls off the bottom
    (30, rules.TOP_TIER, (0, 5)),  # nobody climbs past the top
    (0, 3, (0, 0)),
])
def test_how_many_move_depends_on_the_league_size_and_the_tier(members, tier, expected):
    assert rules.moves(members, tier=tier, ladder=LADDER) == expected


def test_promotion_and_demotion_never_overlap_in_a_tiny_league():
    ladder = rules.Ladder(size=4, promote=2, demote=2)
    for members in range(1, 5):
        promote, demote = rules.moves(members, tier=3, ladder=ladder)
        assert promote + demote <= members


def test_the_outcome_of_each_rank_in_a_full_league():
    outcomes = [rules.outcome(rank, members=30, tier=2, ladder=LADDER) for rank in range(1, 31)]
    assert outcomes == ["promoted"] * 7 + ["stayed"] * 18 + ["demoted"] * 5


def test_the_next_tier_stays_on_the_ladder():
    assert rules.next_tier(0, "demoted") == 0
    assert rules.next_tier(rules.TOP_TIER, "promoted") == rules.TOP_TIER
    assert rules.next_tier(4, "promoted") == 5
    assert rules.next_tier(4, "stayed") == 4


def test_equal_xp_is_ordered_by_learner_id_descending_as_redis_orders_equal_scores():
    assert rules.ranked([("a", 10), ("c", 5), ("b", 10)]) == [("b", 10), ("a", 10), ("c", 5)]


def test_tier_info_names_the_tier():
    assert rules.tier_info(0) == {"index": 0, "code": "bronze", "name": "Bronze"}
    assert rules.tier_info(rules.TOP_TIER)["code"] == "diamond"
