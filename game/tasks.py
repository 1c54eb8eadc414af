"""Celery tasks of game: thin wrappers around services."""

from config.celery import app
from game.services import purge_expired_submissions
from jobs.services import run_now


@app.task(name="game.purge_session_keys")
def purge_session_keys() -> None:
    run_now(kind="purge_session_keys", work=lambda: {"records_deleted": purge_expired_submissions()})
