"""The audit log in Django Admin: staff read it, nobody changes it."""

import pytest

import audit
from audit.models import AuditLog

pytestmark = pytest.mark.django_db


def test_audit_log_is_read_only_with_filters_and_search(admin_client):
    event = audit.record("speech.update", ("speech", "s-1"), {"after": {"text": "Hello"}},
                         actor_email="editor@example.com")
    audit.record("user.login", ("user", "u-1"), actor_email="x@example.com")
    listing = admin_client.get("/admin/audit/auditlog/")
    assert listing.status_code == 200
    assert "speech.update" in listing.content.decode()
    filtered = admin_client.get("/admin/audit/auditlog/", {"action": "speech.update"}).content.decode()
    assert "editor@example.com" in filtered and "x@example.com" not in filtered
    by_type = admin_client.get("/admin/audit/auditlog/", {"object_type": "user"}).content.decode()
    assert "x@example.com" in by_type and "editor@example.com" not in by_type
    searched = admin_client.get("/admin/audit/auditlog/", {"q": "editor@"}).content.decode()
    assert "editor@example.com" in searched and "x@example.com" not in searched
    dated = admin_client.get("/admin/audit/auditlog/", {"created_at__gte": "2000-01-01 00:00:00+00:00"})
    assert dated.status_code == 200

    detail = admin_client.get(f"/admin/audit/auditlog/{event.pk}/change/")
    assert detail.status_code == 200
    assert "Hello" in detail.content.decode()
    assert 'name="_save"' not in detail.content.decode()
    assert admin_client.get("/admin/audit/auditlog/add/").status_code == 403
    assert admin_client.post(f"/admin/audit/auditlog/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditLog.objects.filter(pk=event.pk).exists()
