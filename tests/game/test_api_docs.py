import pytest

from game import rules

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize("path, method, statuses", [
    ("/api/v1/game/sessions", "post", {"201", "400", "401", "404", "409"}),
    ("/api/v1/game/sessions", "get", {"200", "400", "401"}),
    ("/api/v1/game/sessions/{session_id}", "get", {"200", "401", "403", "404"}),
    ("/api/v1/game/speeches/review", "post", {"200", "400", "401"}),
    ("/api/v1/users/me/progress", "get", {"200", "401"}),
])
def test_every_game_endpoint_is_documented_with_its_answers(schema, path, method, statuses):
    operation = schema["paths"][path][method]

    assert statuses <= set(operation["responses"])
    assert operation.get("summary")


def test_session_save_documents_the_idempotency_key(schema):
    parameters = schema["paths"]["/api/v1/game/sessions"]["post"]["parameters"]

    assert {"name": "Idempotency-Key", "in": "header"}.items() <= parameters[0].items()


def test_history_documents_its_filters_and_pagination(schema):
    names = {p["name"] for p in schema["paths"]["/api/v1/game/sessions"]["get"]["parameters"]}

    assert names == {"page", "limit", "mode", "level", "from_date", "to_date"}


def test_progress_documents_the_xp_rule(schema):
    assert rules.XP_RULE in schema["paths"]["/api/v1/users/me/progress"]["get"]["description"]


def test_docs_page_loads(client):
    assert client.get("/api/docs/").status_code == 200
