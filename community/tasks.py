"""Celery tasks of community: thin wrappers around services."""

from community.services import close_finished_weeks
from config.celery import app
from jobs.services import run_now


@app.task(name="community.close_league_weeks")
def close_league_weeks() -> None:
    run_now(kind="close_league_weeks", work=lambda: close_finished_weeks())
