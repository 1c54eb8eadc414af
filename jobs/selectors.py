"""Reads of jobs: one job for its page or API, counts for monitoring."""

import uuid

from django.db.models import Count

from core.cache import get_quietly
from jobs.exceptions import JobNotFound
from jobs.models import Job


def job(*, job_id: uuid.UUID | str, kind: str | None = None) -> Job:
    """The job, with the progress a running one reported through the cache when its row could not take it."""
    jobs = Job.objects.all() if kind is None else Job.objects.filter(kind=kind)
    try:
        found = jobs.get(pk=job_id)
    except (Job.DoesNotExist, ValueError):
        raise JobNotFound() from None
    if found.state == Job.State.RUNNING:
        found.done = max(found.done, get_quietly(found.progress_cache_key) or 0)
    return found


def counts_by_kind_and_state() -> dict[tuple[str, str], int]:
    rows = Job.objects.order_by().values("kind", "state").annotate(n=Count("id"))
    return {(row["kind"], row["state"]): row["n"] for row in rows}
