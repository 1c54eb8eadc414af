import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from content import services
from content.models import Tag
from tests.content.factories import TagFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/tags"


def test_lists_every_tag_sorted_by_name_without_auth(api_client):
    travel = TagFactory(name="Travel", category="topic")
    past = TagFactory(name="Past Simple", category="tense")
    food = TagFactory(name="Food", category=None)

    response = api_client.get(URL)

    assert response.status_code == 200
    assert response.json() == {"tags": [
        {"id": str(food.id), "name": "Food", "category": None},
        {"id": str(past.id), "name": "Past Simple", "category": "tense"},
        {"id": str(travel.id), "name": "Travel", "category": "topic"},
    ]}


def test_a_bad_token_is_ignored_on_the_public_list(api_client):
    TagFactory(name="Food")

    response = api_client.get(URL, HTTP_AUTHORIZATION="Bearer not-a-token")

    assert response.status_code == 200
    assert [t["name"] for t in response.json()["tags"]] == ["Food"]


def test_the_list_is_served_from_the_cache(api_client):
    TagFactory(name="Food")
    api_client.get(URL)
    Tag.objects.create(name="Written behind the app's back")  # not through a service: cache not told

    with CaptureQueriesContext(connection) as queries:
        response = api_client.get(URL)

    assert len(queries) == 0
    assert [t["name"] for t in response.json()["tags"]] == ["Food"]


def test_the_list_is_cached_for_an_hour(api_client, settings):
    assert settings.TAG_LIST_CACHE_SECONDS == 3600


def _names(client):
    return [t["name"] for t in client.get(URL).json()["tags"]]


def test_editor_api_changes_show_at_once(api_client, staff_client):
    food = TagFactory(name="Food")
    assert _names(api_client) == ["Food"]

    created = staff_client.post("/api/v1/admin/tags", {"name": "Travel", "category": "topic"}, format="json")
    assert _names(api_client) == ["Food", "Travel"]

    staff_client.put(f"/api/v1/admin/tags/{food.id}", {"name": "Cooking"}, format="json")
    assert _names(api_client) == ["Cooking", "Travel"]

    staff_client.delete(f"/api/v1/admin/tags/{created.json()['id']}")
    assert _names(api_client) == ["Cooking"]


def test_service_changes_show_at_once(api_client, staff_user):
    assert _names(api_client) == []

    tag = services.create_tag(name="Weather", category="topic", actor=staff_user)
    assert _names(api_client) == ["Weather"]

    services.update_tag(tag=tag, category="tense", actor=staff_user)
    assert api_client.get(URL).json()["tags"][0]["category"] == "tense"

    services.delete_tag(tag=tag, actor=staff_user)
    assert _names(api_client) == []
