import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.core.urls")]


def test_validation_error_is_400_with_field_errors(api_client):
    response = api_client.post("/api/v1/validate", {"email": "nope", "count": 0}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_input"
    assert body["detail"] == "Invalid input."
    assert set(body["errors"]) == {"email", "count"}


def test_missing_token_is_401(api_client):
    response = api_client.get("/api/v1/protected")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert "detail" in response.json()


def test_garbage_token_is_401(api_client):
    response = api_client.get("/api/v1/protected", HTTP_AUTHORIZATION="Bearer not-a-jwt")

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_django_permission_denied_is_403_json(api_client):
    response = api_client.get("/api/v1/raise/django-403")

    assert response.status_code == 403
    assert response.json() == {"code": "permission_denied",
                               "detail": "You do not have permission to perform this action."}


def test_django_http404_is_404_json(api_client):
    response = api_client.get("/api/v1/raise/django-404")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_unknown_url_is_404_json_not_html(api_client):
    response = api_client.get("/api/v1/no-such-endpoint")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"


def test_wrong_method_is_405(api_client):
    response = api_client.delete("/api/v1/validate")

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_domain_error_keeps_its_code_and_status(api_client):
    response = api_client.get("/api/v1/raise/conflict")

    assert response.status_code == 409
    assert response.json() == {"code": "already_exists", "detail": "That already exists."}


def test_unexpected_error_is_500_without_internals(api_client):
    response = api_client.get("/api/v1/raise/crash")

    assert response.status_code == 500
    assert response.json() == {"code": "server_error", "detail": "Internal server error."}
    assert b"secret internal detail" not in response.content


def test_database_failure_is_503_json(api_client):
    response = api_client.get("/api/v1/raise/database-down")

    assert response.status_code == 503
    assert response.json()["code"] == "service_unavailable"


def test_a_django_validation_error_from_a_service_is_400_with_its_fields(api_client):
    response = api_client.get("/api/v1/raise/model-validation")

    assert response.status_code == 400
    assert response.json() == {"code": "invalid_input", "detail": "Invalid input.",
                               "errors": {"name": ["Too long."], "non_field_errors": ["Inconsistent."]}}


def test_a_validator_message_without_a_field_is_400_too(api_client):
    response = api_client.get("/api/v1/raise/validator")

    assert response.status_code == 400
    assert response.json()["errors"] == {"non_field_errors": ["Not allowed."]}
