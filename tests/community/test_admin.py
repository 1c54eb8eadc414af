"""Leagues and friendships in the admin: staff look, and may close finished weeks as the hourly job does."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from community.models import CommunityProfile, FriendRequest, Friendship, League, WeeklyXp
from community.services import add_friend_by_code, invite_code_for, request_friend_by_email
from tests.accounts.factories import UserFactory
from tests.community.helpers import learners_with_xp

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True, email="boss@example.com"))
    return client


@pytest.fixture
def last_week():
    with time_machine.travel(datetime(2026, 11, 18, 10, tzinfo=ZoneInfo("UTC")), tick=False):
        learners = learners_with_xp(30, 20, 10)
    add_friend_by_code(user=learners[0], invite_code=invite_code_for(user=learners[1]))
    request_friend_by_email(user=learners[0], email="someone@example.com")
    return learners


@pytest.mark.parametrize("model", ["league", "weeklyxp", "communityprofile", "friendship", "friendrequest"])
def test_the_admin_pages_open_read_only(admin_client, last_week, model):
    listing = admin_client.get(f"/admin/community/{model}/")
    assert listing.status_code == 200
    obj = {"league": League, "weeklyxp": WeeklyXp, "communityprofile": CommunityProfile, "friendship": Friendship,
           "friendrequest": FriendRequest}[model].objects.first()
    page = admin_client.get(f"/admin/community/{model}/{obj.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert admin_client.get(f"/admin/community/{model}/add/").status_code == 403


def test_the_league_page_lists_its_members_by_xp(admin_client, last_week):
    page = admin_client.get(f"/admin/community/league/{League.objects.get().pk}/change/").content.decode()
    positions = [page.index(user.email) for user in last_week]
    assert positions == sorted(positions)


def test_staff_close_the_finished_weeks_from_the_league_list(admin_client, last_week):
    league = League.objects.get()
    response = admin_client.post("/admin/community/league/", {"action": "close_finished_weeks",
                                                              "_selected_action": [league.pk]}, follow=True)
    assert response.status_code == 200
    assert "Closed 1 leagues: 3 learners, 1 promoted, 0 demoted." in response.content.decode()
    league.refresh_from_db()
    assert league.closed_at is not None
    assert list(WeeklyXp.objects.order_by("final_rank").values_list("outcome", flat=True)) == [
        "promoted", "stayed", "stayed"]
