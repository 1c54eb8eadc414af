import pytest
from django.test import RequestFactory

from accounts.models import AuditLog
from accounts.services import record_audit_event
from config.logging import request_id_var
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_record_audit_event_fills_actor_ip_and_request_id_and_strips_secrets():
    editor = UserFactory(email="editor@example.com")
    request = RequestFactory().post("/x", REMOTE_ADDR="203.0.113.7")
    request.user = editor
    token = request_id_var.set("req-123")
    try:
        event = record_audit_event(
            action="speech.update", object_type="speech", object_id="abc",
            changes={
                "before": {"text": "Hi", "password": "p", "nested": {"refresh_token": "t", "apiKey": "k"}},
                "after": {"text": "Hello", "client_secret": "s", "signing_key": "x", "keywords": ["a"]},
            },
            request=request,
        )
    finally:
        request_id_var.reset(token)

    event.refresh_from_db()
    assert event.actor == editor
    assert event.actor_email == "editor@example.com"
    assert event.ip == "203.0.113.7"
    assert event.request_id == "req-123"
    assert event.changes == {"before": {"text": "Hi", "nested": {}}, "after": {"text": "Hello", "keywords": ["a"]}}


def test_request_id_falls_back_to_the_request_attribute():
    request = RequestFactory().get("/x")
    request.request_id = "from-request"
    event = record_audit_event(action="x", request=request)
    assert event.request_id == "from-request"
    assert event.actor is None and event.actor_email == ""


def test_audit_rows_outlive_the_actor_and_keep_the_email():
    user = UserFactory(email="gone@example.com")
    event = record_audit_event(action="user.delete", actor=user, object_type="user", object_id=str(user.pk))
    user.delete()
    event.refresh_from_db()
    assert event.actor is None
    assert event.actor_email == "gone@example.com"
    assert AuditLog.objects.filter(object_id=str(event.object_id)).count() == 1
