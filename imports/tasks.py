"""Celery tasks of imports: thin wrappers around services."""

from config.celery import app
from imports.services import cleanup_expired_sessions
from imports.services.csv_jobs import run_csv_import_job
from jobs.services import run_job, run_now


@app.task(name="imports.run_csv_import")
def run_csv_import(job_id: str) -> None:
    run_job(job_id, run_csv_import_job)


@app.task(name="imports.cleanup_uploads")
def cleanup_uploads() -> None:
    def work() -> dict:
        sessions, objects = cleanup_expired_sessions()
        return {"sessions_deleted": sessions, "objects_deleted": objects}

    run_now(kind="cleanup_uploads", work=work)
