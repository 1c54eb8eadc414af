"""Celery tasks of audit: thin wrappers around services."""

from audit.services import purge_audit_log as purge
from config.celery import app
from jobs.services import run_now


@app.task(name="audit.purge_audit_log")
def purge_audit_log() -> None:
    run_now(kind="purge_audit_log", work=lambda: {"rows_deleted": purge()})
