"""Weekly leagues through the API: seats on the first XP, the table, the week's close, late sessions, opting out."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from community.models import CommunityProfile, League, WeeklyXp
from community.tasks import close_league_weeks
from jobs.models import Job
from tests.accounts.factories import UserFactory
from tests.community.helpers import HOME, LEAGUE, PARTICIPATION, SESSIONS, client_of, earn, learners_with_xp, on_tier
from tests.content.factories import SpeechFactory
from tests.game.payloads import session_body

# Real commits: league tables in Redis are written after the commit (transaction.on_commit), as in production.
pytestmark = pytest.mark.django_db(transaction=True)

UTC = ZoneInfo("UTC")
WEDNESDAY = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)         # in the week of Monday 16 November
NEXT_MONDAY_EARLY = datetime(2026, 11, 23, 0, 10, tzinfo=UTC)   # the next week, before the hourly close ran


@pytest.fixture
def small_leagues(settings):
    settings.LEAGUE_SIZE, settings.LEAGUE_PROMOTE, settings.LEAGUE_DEMOTE = 6, 2, 1


@pytest.fixture
def wednesday():
    with time_machine.travel(WEDNESDAY, tick=False) as traveller:
        yield traveller


def save(user, speeches, **overrides):
    return client_of(user).post(SESSIONS, session_body(speeches, **overrides), format="json")


def test_the_first_xp_of_the_week_seats_the_learner_and_the_table_and_home_show_it(wednesday):
    user = UserFactory()
    before = client_of(user).get(LEAGUE)
    assert before.status_code == 200
    assert before.json()["league"] is None and before.json()["rank"] is None
    assert before.json()["tier"] == {"index": 0, "code": "bronze", "name": "Bronze"}

    saved = save(user, SpeechFactory.create_batch(5))
    assert saved.status_code == 201
    earned = saved.json()["rewards"]["xp_awarded"]

    table = client_of(user).get(LEAGUE).json()
    assert table["week"] == {"starts_at": "2026-11-16T00:00:00Z", "ends_at": "2026-11-23T00:00:00Z"}
    assert table["xp"] == earned and table["rank"] == 1
    assert table["league"]["members"] == 1
    assert table["league"]["entries"] == [{"rank": 1, "user": {"id": str(user.id), "name": user.name,
                                                               "avatar_url": None},
                                           "xp": earned, "is_me": True, "zone": "promotion"}]
    home = client_of(user).get(HOME).json()["league"]
    assert home == {"tier": {"index": 0, "code": "bronze", "name": "Bronze"}, "opted_out": False, "xp": earned,
                    "rank": 1, "members": 1, "week_ends_at": "2026-11-23T00:00:00Z"}


def test_a_replayed_save_counts_its_xp_once(wednesday):
    user, speeches = UserFactory(), SpeechFactory.create_batch(3)
    body = session_body(speeches)
    first = client_of(user).post(SESSIONS, body, format="json", headers={"Idempotency-Key": "once"})
    again = client_of(user).post(SESSIONS, body, format="json", headers={"Idempotency-Key": "once"})
    assert first.status_code == 201 and again.status_code in (200, 201)
    assert WeeklyXp.objects.get(user=user).xp == first.json()["rewards"]["xp_awarded"]


def test_leagues_fill_to_their_size_then_the_next_one_opens(settings, wednesday):
    settings.LEAGUE_SIZE = 3
    learners = learners_with_xp(10, 20, 30, 40, 50, 60, 70)
    leagues = list(League.objects.order_by("number").values_list("number", "members"))
    assert leagues == [(1, 3), (2, 3), (3, 1)]
    last = client_of(learners[-1]).get(LEAGUE).json()["league"]
    assert last["number"] == 3 and [row["xp"] for row in last["entries"]] == [70]
    assert League.objects.filter(tier=0).count() == 3


def test_the_table_ranks_by_weekly_xp_and_shows_who_is_going_up_and_down(small_leagues, wednesday):
    learners = learners_with_xp(10, 60, 30, 50, 20, 40, tier=2)
    table = client_of(learners[0]).get(LEAGUE).json()
    assert table["tier"]["code"] == "gold"
    assert [row["xp"] for row in table["league"]["entries"]] == [60, 50, 40, 30, 20, 10]
    assert [row["zone"] for row in table["league"]["entries"]] == ["promotion"] * 2 + ["stay"] * 3 + ["demotion"]
    assert table["rank"] == 6 and table["league"]["entries"][-1]["is_me"]
    # Other learners by display name and avatar only.
    assert all(set(row["user"]) == {"id", "name", "avatar_url"} for row in table["league"]["entries"])


def test_closing_the_week_promotes_the_top_demotes_the_bottom_and_is_safe_to_run_again(small_leagues):
    with time_machine.travel(WEDNESDAY, tick=False):
        learners = learners_with_xp(60, 50, 40, 30, 20, 10, tier=2)
    with time_machine.travel(NEXT_MONDAY_EARLY + timedelta(hours=1), tick=False):
        close_league_weeks()
        close_league_weeks()  # the next hour's run finds nothing left to close

        jobs = list(Job.objects.filter(kind="close_league_weeks").order_by("created_at"))
        assert [job.state for job in jobs] == [Job.State.SUCCEEDED] * 2
        assert jobs[0].result == {"leagues": 1, "learners": 6, "promoted": 2, "demoted": 1}
        assert jobs[1].result == {"leagues": 0, "learners": 0, "promoted": 0, "demoted": 0}
        tiers = [CommunityProfile.objects.get(user=user).tier for user in learners]
        assert tiers == [3, 3, 2, 2, 2, 1]
        entries = WeeklyXp.objects.filter(user__in=learners).order_by("final_rank")
        assert [(entry.final_rank, entry.outcome) for entry in entries] == [
            (1, "promoted"), (2, "promoted"), (3, "stayed"), (4, "stayed"), (5, "stayed"), (6, "demoted")]
        assert League.objects.get().closed_at is not None

        # The new week: the promoted learner's first XP seats them a tier up.
        earn(learners[0], 5)
        assert client_of(learners[0]).get(LEAGUE).json()["tier"]["code"] == "sapphire"


def test_a_learner_who_plays_before_the_hourly_close_races_in_the_tier_the_close_gives(small_leagues):
    with time_machine.travel(WEDNESDAY, tick=False):
        top, *_rest, bottom = learners_with_xp(60, 50, 40, 30, 20, 10, tier=2)
    with time_machine.travel(NEXT_MONDAY_EARLY, tick=False):
        assert League.objects.filter(closed_at__isnull=True).count() == 1  # last week is still open
        earn(top, 5)
        earn(bottom, 5)
        assert WeeklyXp.objects.get(user=top, week_start="2026-11-23").league.tier == 3
        assert WeeklyXp.objects.get(user=bottom, week_start="2026-11-23").league.tier == 1
    with time_machine.travel(NEXT_MONDAY_EARLY + timedelta(hours=1), tick=False):
        close_league_weeks()
        assert CommunityProfile.objects.get(user=top).tier == 3
        assert CommunityProfile.objects.get(user=bottom).tier == 1


def test_a_session_saved_after_its_week_ended_earns_xp_but_not_league_xp():
    user, speeches = UserFactory(), SpeechFactory.create_batch(4)
    with time_machine.travel(WEDNESDAY, tick=False):
        earn(user, 10)
    with time_machine.travel(NEXT_MONDAY_EARLY + timedelta(hours=2), tick=False):
        late = save(user, speeches, completed_at=NEXT_MONDAY_EARLY - timedelta(hours=1))  # Sunday 23:10
        assert late.status_code == 201 and late.json()["rewards"]["xp_awarded"] > 0
        assert WeeklyXp.objects.get(user=user, week_start="2026-11-16").xp == 10
        assert client_of(user).get(LEAGUE).json()["xp"] == 0


def test_the_week_turns_at_midnight_in_the_league_time_zone(settings):
    settings.LEAGUE_TIME_ZONE = "Asia/Ho_Chi_Minh"
    user = UserFactory()
    # Sunday 22 November 17:30 UTC is Monday 00:30 in Saigon: a new week there.
    with time_machine.travel(datetime(2026, 11, 22, 17, 30, tzinfo=UTC), tick=False):
        earn(user, 10)
        table = client_of(user).get(LEAGUE).json()
    assert WeeklyXp.objects.get(user=user).week_start.isoformat() == "2026-11-23"
    assert table["week"]["starts_at"] == "2026-11-22T17:00:00Z"


def test_opting_out_leaves_the_league_and_opting_back_in_takes_a_seat_with_the_next_xp(wednesday):
    leaver, stayer = learners_with_xp(30, 20)
    response = client_of(leaver).put(PARTICIPATION, {"opted_out": True}, format="json")
    assert response.status_code == 200 and response.json() == {"opted_out": True}

    assert client_of(stayer).get(LEAGUE).json()["league"]["members"] == 1
    mine = client_of(leaver).get(LEAGUE).json()
    assert mine["opted_out"] is True and mine["league"] is None and mine["xp"] == 30
    earn(leaver, 5)  # XP while out: counted for the week, no seat
    assert client_of(leaver).get(LEAGUE).json()["league"] is None

    assert client_of(leaver).put(PARTICIPATION, {"opted_out": False}, format="json").json() == {"opted_out": False}
    earn(leaver, 5)
    table = client_of(stayer).get(LEAGUE).json()["league"]
    assert [(row["xp"], row["is_me"]) for row in table["entries"]] == [(40, False), (20, True)]
    assert League.objects.get().members == 2


def test_the_participation_switch_refuses_what_is_not_a_boolean(auth_client):
    response = auth_client.put(PARTICIPATION, {"opted_out": "maybe"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input" and "opted_out" in response.json()["errors"]


def test_the_league_table_and_home_cost_the_same_queries_however_full_the_league(
        wednesday, django_assert_max_num_queries):
    client = client_of(learners_with_xp(10)[0])
    counts = []
    for mates, members in ((1, 2), (8, 10)):
        learners_with_xp(*range(1, mates + 1))  # they join the same league
        client.get(LEAGUE)  # with Redis, the first read after a miss also refills the copy
        client.get(HOME)  # and the home screen caches what only the learner's own writes change
        with django_assert_max_num_queries(8) as table:
            assert client.get(LEAGUE).json()["league"]["members"] == members
        with django_assert_max_num_queries(16) as home:
            assert client.get(HOME).status_code == 200
        counts.append((len(table.captured_queries), len(home.captured_queries)))
    assert counts[0] == counts[1]


@pytest.mark.parametrize("path", [LEAGUE, PARTICIPATION])
def test_league_endpoints_need_a_signed_in_learner(api_client, path):
    response = api_client.get(path) if path == LEAGUE else api_client.put(path, {"opted_out": True}, format="json")
    assert response.status_code == 401


def test_an_unseated_learner_on_a_higher_tier_sees_their_tier(wednesday):
    user = on_tier(UserFactory(), 4)
    assert client_of(user).get(LEAGUE).json()["tier"]["code"] == "ruby"


def test_a_league_mates_new_name_and_a_deleted_mate_show_in_the_table_at_once(wednesday):
    me, renamed, leaving = learners_with_xp(30, 20, 10)
    client = client_of(me)

    def names() -> list[str]:
        return [row["user"]["name"] for row in client.get(LEAGUE).json()["league"]["entries"]]

    assert names() == [me.name, renamed.name, leaving.name]
    assert client_of(renamed).put("/api/v1/users/me", {"name": "Renamed"}, format="json").status_code == 200
    assert client_of(leaving).delete("/api/v1/users/me").status_code == 204
    assert names() == [me.name, "Renamed"]


def test_opting_out_shows_on_the_table_and_home_at_once_though_the_seat_is_cached(wednesday):
    user = learners_with_xp(25)[0]
    client = client_of(user)
    assert client.get(LEAGUE).json()["rank"] == 1 and client.get(HOME).json()["league"]["rank"] == 1
    assert client.put(PARTICIPATION, {"opted_out": True}, format="json").status_code == 200
    table, standing = client.get(LEAGUE).json(), client.get(HOME).json()["league"]
    assert table["league"] is None and table["opted_out"] is True and table["xp"] == 25
    assert standing["rank"] is None and standing["opted_out"] is True and standing["xp"] == 25
