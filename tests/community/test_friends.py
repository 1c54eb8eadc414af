"""Friends through the API: invite codes, requests by email, accepting, removing, the weekly leaderboard."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from community.models import FriendRequest, Friendship, WeeklyXp
from community.selectors.friends import FRIENDS_XP_REFRESH_SECONDS
from tests.accounts.factories import UserFactory
from tests.community.helpers import BOARD, FRIENDS, PARTICIPATION, SESSIONS, client_of, earn, learners_with_xp
from tests.content.factories import SpeechFactory
from tests.game.payloads import session_body

pytestmark = pytest.mark.django_db


def invite_code_of(user) -> str:
    return client_of(user).get(FRIENDS).json()["invite_code"]


def befriend(user, friend) -> None:
    assert client_of(user).post(FRIENDS, {"invite_code": invite_code_of(friend)}, format="json").status_code == 201


def test_an_invite_code_makes_two_learners_friends_at_once_both_ways():
    me, friend = UserFactory(name="Mai", avatar_url="https://cdn.example.com/mai.png"), UserFactory(name="Lan")
    code = invite_code_of(friend)
    assert len(code) == 8 and invite_code_of(friend) == code  # the same code every time

    response = client_of(me).post(FRIENDS, {"invite_code": f" {code.lower()[:4]}-{code[4:]} "}, format="json")
    assert response.status_code == 201
    assert response.json() == {"friend": {"id": str(friend.id), "name": "Lan", "avatar_url": None}}

    mine = client_of(me).get(FRIENDS).json()["friends"]
    theirs = client_of(friend).get(FRIENDS).json()["friends"]
    assert [row["id"] for row in mine] == [str(friend.id)]
    assert theirs[0]["id"] == str(me.id) and theirs[0]["avatar_url"] == "https://cdn.example.com/mai.png"
    # Display name and avatar only: no email of a friend, ever.
    assert set(theirs[0]) == {"id", "name", "avatar_url", "since"}


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"invite_code": "NOSUCH99"}, 404, "invite_code_not_found"),
    ({}, 400, "invalid_input"),
    ({"invite_code": "ABCD2345", "email": "a@example.com"}, 400, "invalid_input"),
    ({"email": "not-an-address"}, 400, "invalid_input"),
])
def test_a_bad_friend_request_is_refused_in_the_error_shape(auth_client, body, status, code):
    response = auth_client.post(FRIENDS, body, format="json")
    assert response.status_code == status
    assert response.json()["code"] == code and response.json()["detail"]
    assert not Friendship.objects.exists() and not FriendRequest.objects.exists()


def test_adding_yourself_or_a_friend_twice_is_refused(user):
    friend = UserFactory()
    own = client_of(user).post(FRIENDS, {"invite_code": invite_code_of(user)}, format="json")
    assert own.status_code == 400 and own.json()["code"] == "cannot_befriend_yourself"
    befriend(user, friend)
    again = client_of(user).post(FRIENDS, {"invite_code": invite_code_of(friend)}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "already_friends"
    assert Friendship.objects.count() == 2


def test_friends_stop_at_the_limit(settings, user):
    settings.FRIENDS_MAX = 2
    for _ in range(2):
        befriend(user, UserFactory())
    response = client_of(user).post(FRIENDS, {"invite_code": invite_code_of(UserFactory())}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "too_many_friends"
    assert Friendship.objects.filter(user=user).count() == 2


def test_a_request_by_email_answers_the_same_whether_or_not_the_address_is_a_learner(user):
    UserFactory(email="known@example.com")
    known = client_of(user).post(FRIENDS, {"email": "Known@Example.com"}, format="json")
    unknown = client_of(user).post(FRIENDS, {"email": "nobody@example.com"}, format="json")
    assert known.status_code == unknown.status_code == 202
    assert set(known.json()["request"]) == set(unknown.json()["request"]) == {"id", "email", "created_at"}
    assert known.json()["request"]["email"] == "known@example.com"
    outgoing = client_of(user).get(FRIENDS).json()["outgoing_requests"]
    assert sorted(row["email"] for row in outgoing) == ["known@example.com", "nobody@example.com"]
    # Asking again keeps the one request.
    client_of(user).post(FRIENDS, {"email": "known@example.com"}, format="json")
    assert FriendRequest.objects.filter(from_user=user).count() == 2


def test_the_addressee_accepts_a_request_and_both_become_friends(user):
    friend = UserFactory(email="lan@example.com", name="Lan")
    client_of(user).post(FRIENDS, {"email": "lan@example.com"}, format="json")
    incoming = client_of(friend).get(FRIENDS).json()["incoming_requests"]
    assert [row["from_user"]["id"] for row in incoming] == [str(user.id)]
    assert set(incoming[0]["from_user"]) == {"id", "name", "avatar_url"}

    # Nobody else can answer it.
    stranger = client_of(UserFactory()).post(f"{FRIENDS}/requests/{incoming[0]['id']}/accept")
    assert stranger.status_code == 404 and stranger.json()["code"] == "friend_request_not_found"

    accepted = client_of(friend).post(f"{FRIENDS}/requests/{incoming[0]['id']}/accept")
    assert accepted.status_code == 201 and accepted.json()["friend"]["id"] == str(user.id)
    assert [row["id"] for row in client_of(user).get(FRIENDS).json()["friends"]] == [str(friend.id)]
    assert client_of(friend).get(FRIENDS).json()["incoming_requests"] == []
    assert not FriendRequest.objects.exists()


def test_a_request_can_be_declined_by_its_addressee_or_withdrawn_by_its_sender(user):
    friend = UserFactory(email="lan@example.com")
    first = client_of(user).post(FRIENDS, {"email": "lan@example.com"}, format="json").json()["request"]["id"]
    assert client_of(friend).delete(f"{FRIENDS}/requests/{first}").status_code == 204
    second = client_of(user).post(FRIENDS, {"email": "lan@example.com"}, format="json").json()["request"]["id"]
    assert client_of(UserFactory()).delete(f"{FRIENDS}/requests/{second}").status_code == 404
    assert client_of(user).delete(f"{FRIENDS}/requests/{second}").status_code == 204
    assert not FriendRequest.objects.exists() and not Friendship.objects.exists()


def test_a_learner_who_signs_up_later_finds_the_request_to_their_address(user):
    client_of(user).post(FRIENDS, {"email": "later@example.com"}, format="json")
    newcomer = UserFactory(email="later@example.com")
    assert len(client_of(newcomer).get(FRIENDS).json()["incoming_requests"]) == 1


def test_removing_a_friend_removes_the_friendship_both_ways(user):
    friend = UserFactory()
    befriend(user, friend)
    assert client_of(friend).delete(f"{FRIENDS}/{user.id}").status_code == 204
    assert client_of(user).get(FRIENDS).json()["friends"] == []
    again = client_of(friend).delete(f"{FRIENDS}/{user.id}")
    assert again.status_code == 404 and again.json()["code"] == "friend_not_found"


def test_the_friends_leaderboard_ranks_me_and_my_friends_by_this_weeks_xp():
    with time_machine.travel(datetime(2026, 11, 18, 10, tzinfo=ZoneInfo("UTC")), tick=False):
        me, close, quiet_out = learners_with_xp(40, 70, 55)
        idle, stranger = UserFactory(), learners_with_xp(500)[0]
        for friend in (close, quiet_out, idle):
            befriend(me, friend)
        # A friend who left leagues still shows here: friends chose each other.
        assert client_of(quiet_out).put(PARTICIPATION, {"opted_out": True}, format="json").status_code == 200
        earn(quiet_out, 5)

        board = client_of(me).get(BOARD).json()
    assert board["week"] == {"starts_at": "2026-11-16T00:00:00Z", "ends_at": "2026-11-23T00:00:00Z"}
    assert [(row["rank"], row["user"]["id"], row["xp"], row["is_me"]) for row in board["entries"]] == [
        (1, str(close.id), 70, False), (2, str(quiet_out.id), 60, False), (3, str(me.id), 40, True),
        (4, str(idle.id), 0, False)]
    assert str(stranger.id) not in {row["user"]["id"] for row in board["entries"]}
    assert all(set(row["user"]) == {"id", "name", "avatar_url"} for row in board["entries"])


def test_a_friend_renamed_or_gone_shows_on_the_leaderboard_at_once(user):
    renamed, leaving = UserFactory(name="Lan"), UserFactory(name="Minh")
    befriend(user, renamed)
    befriend(user, leaving)
    client = client_of(user)

    def names() -> set[str]:
        return {row["user"]["name"] for row in client.get(BOARD).json()["entries"]}

    assert names() == {user.name, "Lan", "Minh"}
    assert client_of(renamed).put("/api/v1/users/me", {"name": "Lan Anh"}, format="json").status_code == 200
    assert client_of(leaving).delete("/api/v1/users/me").status_code == 204
    assert names() == {user.name, "Lan Anh"}
    assert [row["name"] for row in client.get(FRIENDS).json()["friends"]] == ["Lan Anh"]


def test_a_new_or_removed_friend_shows_on_both_leaderboards_at_once(user):
    friend = UserFactory()
    board_of = {"me": client_of(user), "friend": client_of(friend)}
    assert all(len(client.get(BOARD).json()["entries"]) == 1 for client in board_of.values())  # cached alone
    befriend(user, friend)
    assert all(len(client.get(BOARD).json()["entries"]) == 2 for client in board_of.values())
    assert client_of(friend).delete(f"{FRIENDS}/{user.id}").status_code == 204
    assert all(len(client.get(BOARD).json()["entries"]) == 1 for client in board_of.values())


def test_my_own_xp_shows_on_the_leaderboard_at_once_and_a_friends_within_a_minute():
    with time_machine.travel(datetime(2026, 11, 18, 10, tzinfo=ZoneInfo("UTC")), tick=False) as traveller:
        me, friend = learners_with_xp(10, 20)
        befriend(me, friend)

        def board() -> dict[str, int]:
            return {row["user"]["id"]: row["xp"] for row in client_of(me).get(BOARD).json()["entries"]}

        assert board() == {str(me.id): 10, str(friend.id): 20}
        earn(friend, 30)
        saved = client_of(me).post(SESSIONS, session_body(SpeechFactory.create_batch(2)), format="json")
        assert saved.status_code == 201
        mine = WeeklyXp.objects.get(user=me).xp
        assert mine > 10 and board()[str(me.id)] == mine
        traveller.shift(FRIENDS_XP_REFRESH_SECONDS)
        assert board() == {str(me.id): mine, str(friend.id): 50}


def test_the_friends_leaderboard_costs_the_same_queries_however_many_friends(user, django_assert_max_num_queries):
    counts = []
    for friends in (1, 6):
        for _ in range(friends):
            befriend(user, learners_with_xp(10)[0])
        with django_assert_max_num_queries(6) as captured:
            assert client_of(user).get(BOARD).status_code == 200
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


@pytest.mark.parametrize(("method", "path"), [("get", FRIENDS), ("post", FRIENDS), ("get", BOARD),
                                              ("delete", f"{FRIENDS}/00000000-0000-0000-0000-000000000001")])
def test_friends_endpoints_need_a_signed_in_learner(api_client, method, path):
    assert getattr(api_client, method)(path).status_code == 401
