import json
import logging

import pytest

pytestmark = pytest.mark.django_db


def test_request_id_is_generated_when_absent(client):
    response = client.get("/health")

    assert response.status_code == 200
    assert len(response["X-Request-ID"]) == 32


def test_client_request_id_is_echoed(client):
    response = client.get("/health", HTTP_X_REQUEST_ID="mobile-abc-123")

    assert response["X-Request-ID"] == "mobile-abc-123"


def test_unsafe_request_id_is_replaced(client):
    response = client.get("/health", HTTP_X_REQUEST_ID="bad id\r\ninjected")

    assert response["X-Request-ID"] != "bad id\r\ninjected"
    assert len(response["X-Request-ID"]) == 32


def test_access_log_line_carries_request_id_and_fields(client, caplog):
    with caplog.at_level(logging.INFO, logger="englishapp.access"):
        client.get("/health", HTTP_X_REQUEST_ID="trace-42")

    record = next(r for r in caplog.records if r.name == "englishapp.access")
    assert record.request_id == "trace-42"
    assert (record.method, record.path, record.status) == ("GET", "/health", 200)
    assert record.duration_ms >= 0
    assert record.user_id is None


def test_json_formatter_writes_one_json_object_per_line(client, caplog):
    from django.conf import settings
    from pythonjsonlogger.json import JsonFormatter

    from core.observability.logging import RequestContextFilter

    spec = settings.LOGGING["formatters"]["json"]
    formatter = JsonFormatter(spec["fmt"], rename_fields=spec["rename_fields"])
    with caplog.at_level(logging.INFO, logger="englishapp.access"):
        client.get("/health", HTTP_X_REQUEST_ID="json-7")
    record = next(r for r in caplog.records if r.name == "englishapp.access")
    RequestContextFilter().filter(record)

    line = json.loads(formatter.format(record))
    assert line["request_id"] == "json-7"
    assert line["status"] == 200
    assert line["method"] == "GET"
    assert line["level"] == "INFO"


def test_authenticated_request_logs_user_id(auth_client, user, caplog):
    with caplog.at_level(logging.INFO, logger="englishapp.access"):
        auth_client.get("/api/v1/no-such-endpoint")

    record = next(r for r in caplog.records if r.name == "englishapp.access")
    assert record.status == 404
