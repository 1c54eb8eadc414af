import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditLog
from content.models import SpeechTag, Tag
from tests.conftest import bearer
from tests.content.factories import SpeechFactory, TagFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/admin/tags"


def test_list_has_speech_counts_in_one_query(staff_client):
    food, travel, unused = TagFactory(name="Food"), TagFactory(name="Travel", category="topic"), TagFactory(name="Zoo")
    SpeechFactory(tags=[food, travel])
    SpeechFactory(tags=[food])
    SpeechFactory(tags=[food], archived_at=timezone.now())  # archived: not counted

    with CaptureQueriesContext(connection) as queries:
        response = staff_client.get(URL)

    assert response.status_code == 200
    tags = response.json()["tags"]
    assert [(t["name"], t["speech_count"]) for t in tags] == [("Food", 2), ("Travel", 1), ("Zoo", 0)]
    assert set(tags[1]) == {"id", "name", "category", "speech_count", "created_at"}
    assert tags[1]["category"] == "topic" and tags[1]["id"] == str(travel.id)
    assert unused.id  # listed though unused
    tag_queries = [q for q in queries.captured_queries if "content_tag" in q["sql"]]
    assert len(tag_queries) == 1


def test_create_returns_201_and_writes_an_audit_row(staff_client, staff_user):
    response = staff_client.post(URL, {"name": "  Past   Simple ", "category": "tense"}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert (body["name"], body["category"], body["speech_count"]) == ("Past Simple", "tense", 0)
    tag = Tag.objects.get(pk=body["id"])
    assert tag.name == "Past Simple"
    audit = AuditLog.objects.get(action="tag.create")
    assert audit.actor == staff_user and audit.object_id == str(tag.id)
    assert audit.changes == {"after": {"name": "Past Simple", "category": "tense"}}


def test_create_without_category(staff_client):
    response = staff_client.post(URL, {"name": "Misc"}, format="json")

    assert response.status_code == 201
    assert response.json()["category"] is None


@pytest.mark.parametrize("name", ["food", "FOOD", " Food "])
def test_create_with_a_taken_name_in_any_case_is_409(staff_client, name):
    TagFactory(name="Food")

    response = staff_client.post(URL, {"name": name}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "tag_name_taken"
    assert Tag.objects.count() == 1


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": "   "}, {"name": "x" * 101},
                                  {"name": "ok", "category": "c" * 51}])
def test_create_with_invalid_fields_is_400(staff_client, body):
    response = staff_client.post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"
    assert response.json()["errors"]
    assert Tag.objects.count() == 0


def test_update_renames_and_recategorises(staff_client):
    tag = TagFactory(name="Past", category="tense")
    SpeechFactory(tags=[tag])

    response = staff_client.put(f"{URL}/{tag.id}", {"name": "Simple Past Tense"}, format="json")

    assert response.status_code == 200
    assert (response.json()["name"], response.json()["category"], response.json()["speech_count"]) == (
        "Simple Past Tense", "tense", 1)
    cleared = staff_client.put(f"{URL}/{tag.id}", {"category": None}, format="json")
    assert cleared.json()["category"] is None
    tag.refresh_from_db()
    assert (tag.name, tag.category) == ("Simple Past Tense", None)


def test_update_to_another_tags_name_is_409_but_own_name_in_new_case_is_fine(staff_client):
    TagFactory(name="Food")
    tag = TagFactory(name="Travel")

    assert staff_client.put(f"{URL}/{tag.id}", {"name": "FOOD"}, format="json").status_code == 409
    assert staff_client.put(f"{URL}/{tag.id}", {"name": "travel"}, format="json").status_code == 200


def test_update_or_delete_an_unknown_tag_is_404(staff_client):
    missing = "3f1c3a43-31f6-4f7e-8d3e-3d4b5f6a7b8c"

    assert staff_client.put(f"{URL}/{missing}", {"name": "x"}, format="json").status_code == 404
    assert staff_client.delete(f"{URL}/{missing}").status_code == 404


def test_delete_unused_tag_is_204(staff_client):
    tag = TagFactory()

    response = staff_client.delete(f"{URL}/{tag.id}")

    assert response.status_code == 204
    assert not Tag.objects.filter(pk=tag.pk).exists()


def test_delete_a_tag_in_use_is_409_and_keeps_it(staff_client):
    tag = TagFactory()
    SpeechFactory(tags=[tag])

    response = staff_client.delete(f"{URL}/{tag.id}")

    assert response.status_code == 409
    assert response.json()["code"] == "tag_in_use"
    assert Tag.objects.filter(pk=tag.pk).exists()


def test_delete_a_tag_only_archived_speeches_use(staff_client):
    tag = TagFactory()
    archived = SpeechFactory(tags=[tag], archived_at=timezone.now())

    assert staff_client.delete(f"{URL}/{tag.id}").status_code == 204
    assert not SpeechTag.objects.filter(speech=archived).exists()


@pytest.mark.parametrize(("method", "path"), [("get", URL), ("post", URL), ("put", URL + "/ID"),
                                              ("delete", URL + "/ID")])
def test_learners_get_403_and_anonymous_401(api_client, user, method, path):
    tag = TagFactory()
    path = path.replace("ID", str(tag.id))

    anonymous = getattr(api_client, method)(path, {"name": "x"}, format="json")
    api_client.credentials(**bearer(user))
    learner = getattr(api_client, method)(path, {"name": "x"}, format="json")

    assert anonymous.status_code == 401
    assert learner.status_code == 403
    assert learner.json()["code"] == "permission_denied"
    assert Tag.objects.get().name == tag.name
