"""Audit log retention: rows older than AUDIT_RETENTION_DAYS are deleted in batches; 0 keeps them forever."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import audit.services
from audit.models import AuditLog
from audit.services import purge_audit_log

pytestmark = pytest.mark.django_db


def row(action: str, *, days_old: float) -> AuditLog:
    return AuditLog.objects.create(action=action, created_at=timezone.now() - timedelta(days=days_old))


def actions() -> set[str]:
    return set(AuditLog.objects.values_list("action", flat=True))


def test_rows_older_than_the_retention_are_deleted_and_recent_ones_kept(settings):
    settings.AUDIT_RETENTION_DAYS = 30
    row("old", days_old=31)
    row("ancient", days_old=400)
    row("recent", days_old=29)
    row("today", days_old=0)

    assert purge_audit_log() == 2

    assert actions() == {"recent", "today", "audit.purged"}
    purged = AuditLog.objects.get(action="audit.purged")
    assert (purged.changes["deleted"], purged.changes["older_than_days"]) == (2, 30)


@pytest.mark.parametrize(("setting", "argument"), [(0, None), (30, 0)])
def test_zero_days_keeps_everything(settings, setting, argument):
    settings.AUDIT_RETENTION_DAYS = setting
    row("ancient", days_old=4000)

    assert purge_audit_log(older_than_days=argument) == 0

    assert actions() == {"ancient"}


def test_the_argument_overrides_the_setting(settings):
    settings.AUDIT_RETENTION_DAYS = 365
    row("eleven days", days_old=11)
    row("nine days", days_old=9)

    assert purge_audit_log(older_than_days=10) == 1

    assert actions() == {"nine days", "audit.purged"}


def test_rows_are_deleted_in_batches(settings, monkeypatch):
    settings.AUDIT_RETENTION_DAYS = 30
    monkeypatch.setattr(audit.services, "PURGE_BATCH", 2)
    for days in (100, 90, 80, 70, 60):
        row(f"{days} days", days_old=days)
    row("recent", days_old=1)

    with CaptureQueriesContext(connection) as queries:
        assert purge_audit_log() == 5

    deletes = [query["sql"] for query in queries.captured_queries if query["sql"].startswith("DELETE")]
    assert len(deletes) == 3  # 2 + 2 + 1: the short batch ends the purge
    assert actions() == {"recent", "audit.purged"}


def test_the_command_purges_and_says_how_many(settings):
    settings.AUDIT_RETENTION_DAYS = 30
    row("old", days_old=31)

    out = StringIO()
    call_command("purge_audit_log", stdout=out)
    assert out.getvalue().strip() == "Deleted 1 audit log row(s) older than 30 day(s)."
    assert AuditLog.objects.get(action="audit.purged").request_id.startswith("purge_audit_log:")

    out = StringIO()
    call_command("purge_audit_log", "--older-than-days", "0", stdout=out)
    assert out.getvalue().strip() == "Audit log retention is off (0 days): nothing deleted."


def test_the_command_refuses_negative_days(settings):
    settings.AUDIT_RETENTION_DAYS = 30
    with pytest.raises(CommandError, match="--older-than-days"):
        call_command("purge_audit_log", "--older-than-days", "-1", stdout=StringIO())
