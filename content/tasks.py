"""Celery tasks of content: thin wrappers around services."""

import dataclasses

from config.celery import app
from content.services import sweep_unreferenced_audio
from jobs.services import run_now


@app.task(name="content.sweep_audio")
def sweep_audio() -> None:
    run_now(kind="sweep_audio", work=lambda: dataclasses.asdict(sweep_unreferenced_audio()))
