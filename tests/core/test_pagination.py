import pytest

from tests.accounts.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.core.urls")]


@pytest.fixture
def five_users():
    return UserFactory.create_batch(5)


def test_first_page_uses_default_limit(api_client, five_users):
    body = api_client.get("/api/v1/users").json()

    assert len(body["users"]) == 2
    assert body["pagination"] == {"page": 1, "limit": 2, "total": 5, "total_pages": 3}


def test_last_page_holds_the_remainder(api_client, five_users):
    body = api_client.get("/api/v1/users?page=3&limit=2").json()

    assert [u["email"] for u in body["users"]] == [sorted(u.email for u in five_users)[-1]]
    assert body["pagination"]["page"] == 3


def test_page_past_the_end_is_empty(api_client, five_users):
    body = api_client.get("/api/v1/users?page=9").json()

    assert body["users"] == []
    assert body["pagination"]["total"] == 5


@pytest.mark.parametrize("query", ["page=0", "page=abc", "limit=0", "limit=4"])
def test_out_of_range_values_are_400(api_client, five_users, query):
    response = api_client.get(f"/api/v1/users?{query}")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"


def test_empty_list_has_zero_pages(api_client, db):
    body = api_client.get("/api/v1/users").json()

    assert body == {"users": [], "pagination": {"page": 1, "limit": 2, "total": 0, "total_pages": 0}}
