"""audit.record: actor, IP and request id come from the request context; secrets never reach the row."""

import pytest
from django.test import RequestFactory

import audit
from audit.models import AuditLog
from core.http import context
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_request_context_fills_actor_ip_and_request_id_and_secrets_are_stripped():
    editor = UserFactory(email="editor@example.com")
    request = RequestFactory().post("/x", REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT="pytest")
    request.user = editor
    with context.bind(context.context_for_request(request, "req-123")):
        event = audit.record("speech.update", ("speech", "abc"), {
            "before": {"text": "Hi", "password": "p", "nested": {"refresh_token": "t", "apiKey": "k"}},
            "after": {"text": "Hello", "client_secret": "s", "signing_key": "x", "keywords": ["a"]},
        })

    event.refresh_from_db()
    assert event.actor == editor
    assert event.actor_email == "editor@example.com"
    assert (event.object_type, event.object_id) == ("speech", "abc")
    assert event.ip == "203.0.113.7"
    assert event.request_id == "req-123"
    assert event.changes == {"before": {"text": "Hi", "nested": {}}, "after": {"text": "Hello", "keywords": ["a"]}}


def test_a_model_target_names_its_type_and_id():
    user = UserFactory()
    event = audit.record("user.profile_update", user)
    assert (event.object_type, event.object_id) == ("user", str(user.pk))


def test_outside_any_request_the_row_has_no_actor_ip_or_request_id():
    event = audit.record("x")
    assert event.actor is None and event.actor_email == ""
    assert event.ip is None and event.request_id == ""


def test_a_command_context_names_the_person_and_the_run():
    operator = UserFactory(email="ops@example.com")
    with context.command_context("import_csv", actor=operator):
        event = audit.record("import.csv_imported", ("upload_session", "s-1"))
    assert event.actor == operator
    assert event.request_id.startswith("import_csv:")


def test_audit_rows_outlive_the_actor_and_keep_the_email():
    user = UserFactory(email="gone@example.com")
    event = audit.record("user.delete", user, actor=user)
    user.delete()
    event.refresh_from_db()
    assert event.actor is None
    assert event.actor_email == "gone@example.com"
    assert AuditLog.objects.filter(object_id=str(event.object_id)).count() == 1


def test_an_api_request_writes_its_request_id_and_address_into_the_row(api_client):
    api_client.post("/api/v1/auth/register", {"email": "new@example.com", "password": "Long-enough-pass-1",
                                               "name": "New"}, format="json",
                    HTTP_X_REQUEST_ID="trace-42", REMOTE_ADDR="198.51.100.4")
    event = AuditLog.objects.get(action="user.register")
    assert event.request_id == "trace-42"
    assert event.ip == "198.51.100.4"
    assert event.actor_email == "new@example.com"
