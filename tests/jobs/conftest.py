import pytest
from celery.contrib.testing.worker import start_worker

from config.celery import app


@pytest.fixture(scope="session")
def _running_worker(django_db_setup, django_db_blocker):
    # One worker for the session: starting and stopping one costs seconds.
    with django_db_blocker.unblock():
        app.control.purge()  # nothing a previous run left in the queue
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10, loglevel="WARNING"):
            yield app


@pytest.fixture
def celery_worker(transactional_db, _running_worker):
    """A real Celery worker (in a thread of this process) on the configured broker: Redis in CI.

    transactional_db: the worker's own connection sees only committed rows.
    """
    yield _running_worker
    _running_worker.control.purge()
