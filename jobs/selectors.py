"""Reads of jobs: one job for its page or API, counts for monitoring."""

import uuid

from django.db.models import Count

from jobs.exceptions import JobNotFound
from jobs.models import Job


def job(*, job_id: uuid.UUID | str, kind: str | None = None) -> Job:
    jobs = Job.objects.all() if kind is None else Job.objects.filter(kind=kind)
    try:
        return jobs.get(pk=job_id)
    except (Job.DoesNotExist, ValueError):
        raise JobNotFound() from None


def counts_by_kind_and_state() -> dict[tuple[str, str], int]:
    rows = Job.objects.order_by().values("kind", "state").annotate(n=Count("id"))
    return {(row["kind"], row["state"]): row["n"] for row in rows}
