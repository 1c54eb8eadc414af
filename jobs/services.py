"""Running work as a job: queue it, run it (again, after a lost worker), record progress and outcome.

A job's row is the truth about it; Celery only carries its id. Tasks are `acks_late` and
rejected back to the queue when their worker dies, so a job may run more than once: the work
a job runs must be safe to run again (an import that was killed deletes its leftovers first,
see imports), and a job already finished is never run twice. Progress is written on a
connection of its own, so it is visible while the work's own transaction is still open.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext

from core.cache import set_quietly
from core.exceptions import DomainError
from jobs.models import Job

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

# Called with the number of items just handled.
Progress = Callable[[int], None]
Work = Callable[[Job, Progress], dict[str, Any]]

_PROGRESS_EVERY_SECONDS = 0.5
PROGRESS_CACHE_SECONDS = 3600


def create_job(*, kind: str, actor: User | None, params: dict[str, Any], total: int = 0,
               enqueue: Callable[[uuid.UUID], None]) -> Job:
    """A queued job; `enqueue(job_id)` (a task's .delay) runs after the commit, so the worker finds the row."""
    job = Job.objects.create(kind=kind, params=params, total=total, started_by=actor)
    transaction.on_commit(lambda: enqueue(job.id))
    return job


def _claim(job_id: uuid.UUID | str) -> Job | None:
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.is_finished:
            return None  # gone, or a redelivered message of a job that ended
        job.state, job.attempts, job.done = Job.State.RUNNING, job.attempts + 1, 0
        job.started_at = job.started_at or timezone.now()
        job.save(update_fields=["state", "attempts", "done", "started_at", "updated_at"])
        return job


def _plain(value: Any) -> Any:
    """`value` with every lazy translation made a str: the row's JSON cannot hold a lazy object."""
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _finish(job: Job, *, state: str, result: dict | None = None, error: DomainError | None = None,
            detail: str = "") -> None:
    job.state, job.finished_at = state, timezone.now()
    job.result = result or {}
    if error is not None:
        job.error_code, job.error_detail = error.code, str(error.detail)
        job.errors = _plain(error.errors) or []
    elif detail:
        job.error_code, job.error_detail = "server_error", detail
    job.save(update_fields=["state", "finished_at", "result", "error_code", "error_detail", "errors", "done",
                            "updated_at"])
    from jobs import metrics

    metrics.record_finished(job)


class _ProgressWriter:
    """Writes `done` at most every half second, on its own connection (visible outside the work's transaction)."""

    def __init__(self, job: Job):
        self.job, self.done, self._written_at = job, 0, 0.0
        self._connection = connections.create_connection("default")

    def __call__(self, handled: int) -> None:
        self.done += handled
        now = time.monotonic()
        if now - self._written_at >= _PROGRESS_EVERY_SECONDS:
            self._written_at = now
            self._write()

    def _write(self) -> None:
        if self._connection.vendor == "sqlite":
            # SQLite has one writer, and the work's own transaction is it (a write here would wait
            # for ourselves): the progress goes to the cache (shared with the web process: a
            # folder in `make run`), which the job selector reads.
            set_quietly(self.job.progress_cache_key, self.done, PROGRESS_CACHE_SECONDS)
            return
        try:
            with self._connection.cursor() as cursor:
                cursor.execute(f"UPDATE {Job._meta.db_table} SET done = %s WHERE id = %s", [self.done, self.job.id])
        except Exception:  # progress is a courtesy; the job's outcome is written by run_job itself
            logger.warning("Job progress not written", exc_info=True)

    def close(self) -> None:
        self._connection.close()


def run_job(job_id: uuid.UUID | str, work: Work) -> None:
    """Run `work(job, progress)` for a queued (or interrupted) job and record how it ended.

    A domain error (bad input found late, a storage outage) fails the job with its code and
    details; anything else fails it too and is raised again so the worker logs it. After
    JOB_MAX_ATTEMPTS starts (each lost worker is one) the job is failed without running.
    """
    job = _claim(job_id)
    if job is None:
        return
    if job.attempts > settings.JOB_MAX_ATTEMPTS:
        _finish(job, state=Job.State.FAILED, detail=gettext("Stopped after {attempts} interrupted attempts.").format(
            attempts=settings.JOB_MAX_ATTEMPTS))
        return
    progress = _ProgressWriter(job)
    try:
        result = work(job, progress)
    except DomainError as error:
        job.done = progress.done
        _finish(job, state=Job.State.FAILED, error=error)
        return
    except Exception:
        job.done = progress.done
        _finish(job, state=Job.State.FAILED, detail=gettext("The job failed unexpectedly."))
        raise
    finally:
        progress.close()
    job.done = max(progress.done, job.total)
    _finish(job, state=Job.State.SUCCEEDED, result=result)


def run_now(*, kind: str, work: Callable[[], dict[str, Any]]) -> None:
    """Run scheduled maintenance here and now, recorded as a job, so operators see what ran and what it did."""
    run_job(Job.objects.create(kind=kind).id, lambda _job, _progress: work())
