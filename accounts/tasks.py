"""Celery tasks of accounts: thin wrappers around services."""

from accounts.services import purge_ended_sessions
from config.celery import app
from jobs.services import run_now


@app.task(name="accounts.purge_sessions")
def purge_sessions() -> None:
    run_now(kind="purge_sessions", work=purge_ended_sessions)
