"""Jobs in /metrics: how many by kind and state, how long they ran, how many wait in the queue.

Counts and queue depth are read when Prometheus scrapes (a collector), so they are right
whichever process answers; durations are observed by the worker that ran the job.
"""

import logging

from django.conf import settings
from prometheus_client import Histogram
from prometheus_client.core import GaugeMetricFamily

from core.observability import metrics
from jobs.models import Job

logger = logging.getLogger(__name__)

DURATION = Histogram(
    "englishapp_job_duration_seconds", "Time from a job's first start to its end, by kind and outcome.",
    ["kind", "state"], buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800),
)


def record_finished(job: Job) -> None:
    if job.started_at and job.finished_at:
        DURATION.labels(kind=job.kind, state=job.state).observe((job.finished_at - job.started_at).total_seconds())


def queue_depth() -> int | None:
    """Messages waiting in the default queue, when the broker is Redis (a list per queue)."""
    if not settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        return None
    import redis

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=0.5, socket_connect_timeout=0.5)
    return client.llen(settings.CELERY_TASK_DEFAULT_QUEUE)


class JobCollector:
    def collect(self):
        from jobs.selectors import counts_by_kind_and_state

        jobs = GaugeMetricFamily("englishapp_jobs", "Jobs by kind and state.", labels=["kind", "state"])
        try:
            for (kind, state), count in counts_by_kind_and_state().items():
                jobs.add_metric([kind, state], count)
        except Exception as exc:  # a scrape must not fail because the database is away (readiness says so)
            logger.debug("Job counts unavailable for /metrics: %s", exc)
        yield jobs
        depth = GaugeMetricFamily("englishapp_job_queue_depth", "Tasks waiting in the broker's default queue.")
        try:
            value = queue_depth()
        except Exception:
            value = None
        if value is not None:
            depth.add_metric([], value)
        yield depth


_COLLECTOR = JobCollector()


def register() -> None:
    metrics.add_scrape_time_collector(_COLLECTOR)
