import socket

import pytest
from django.db import connections

pytestmark = pytest.mark.django_db


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_liveness(client):
    response = client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_when_every_dependency_answers(client):
    response = client.get("/health/ready")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok", "storage": "ok"}}


@pytest.fixture
def unreachable_database():
    """Swap in a connection to a closed port (or an unopenable SQLite file) for "default"."""
    original = connections["default"]
    broken = connections.create_connection("default")
    broken.settings_dict = dict(broken.settings_dict)
    if broken.vendor == "sqlite":
        broken.settings_dict["NAME"] = "/nonexistent-dir/db.sqlite3"
    else:
        broken.settings_dict.update(HOST="127.0.0.1", PORT=_closed_port())
    connections["default"] = broken
    yield
    broken.close()
    connections["default"] = original


def test_not_ready_when_database_is_unreachable(client, unreachable_database):
    response = client.get("/health/ready")

    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"] == "unavailable"
    assert body["code"] == "not_ready"
    assert "database" in body["detail"]


def test_not_ready_when_storage_is_unreachable(client, settings, s3_storage):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"],
                    "OPTIONS": {**settings.STORAGES["default"]["OPTIONS"],
                                "endpoint_url": f"http://127.0.0.1:{_closed_port()}"}},
    }

    response = client.get("/health/ready")

    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "cache": "ok", "storage": "unavailable"}


def test_ready_against_the_s3_server(client, s3_storage):
    response = client.get("/health/ready")

    assert response.status_code == 200
    assert response.json()["checks"]["storage"] == "ok"
