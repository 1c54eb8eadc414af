"""Where the read-replica router sends a read (core/db/router.py), decided without a replica.

Requests are built by hand and bound as the middleware binds them; "the replica answers" is
stubbed, except in the tests of that probe, which get a stand-in connection. The real
streaming replica is tests/faults/test_read_replica.py.
"""

from types import SimpleNamespace
from typing import Any
from uuid import uuid4

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.checks import Error
from django.db import OperationalError, connections
from django.test import RequestFactory
from django.utils.functional import SimpleLazyObject
from rest_framework.views import APIView

from core.cache import CacheUnavailable, CircuitBreaker
from core.checks import check_settings
from core.db import router
from core.http import context
from tests.core.conftest import Clock


class ReadsOnly(APIView):
    read_replica = True


class ListsButSaves(APIView):
    read_replica = ("GET",)


class Unmarked(APIView):
    pass


class Learner:
    is_authenticated = True

    def __init__(self) -> None:
        self.pk = uuid4()


def request_to(view: type[APIView], method: str = "GET", user: Any = None) -> Any:
    request = getattr(RequestFactory(), method.lower())("/api/v1/anything")
    request.resolver_match = SimpleNamespace(func=view.as_view())  # what URL resolution leaves on a request
    request.user = Learner() if user is None else user  # as DRF leaves it once it has authenticated
    return request


def route(request: Any) -> str:
    with context.bind(context.RequestContext(request=request)):
        return router.ReplicaRouter().db_for_read(object)


def write_in(request: Any) -> str:
    with context.bind(context.RequestContext(request=request)):
        return router.ReplicaRouter().db_for_write(object)


@pytest.fixture
def replica_up(monkeypatch):
    monkeypatch.setattr(router, "replica_reachable", lambda: True)


@pytest.fixture
def outside_transactions(monkeypatch):
    """For tests that need the database (a write's on_commit) but route as a request outside any atomic block."""
    monkeypatch.setattr(router, "connections", {router.DEFAULT: SimpleNamespace(in_atomic_block=False)})


# --- which requests may read the replica -----------------------------------------------------

def test_a_learners_read_of_a_marked_view_goes_to_the_replica(replica_up):
    assert route(request_to(ReadsOnly)) == "replica"
    assert route(request_to(ReadsOnly, "POST")) == "replica"  # True: every method of the view only reads


def test_a_view_that_marks_some_methods_reads_the_replica_only_for_those(replica_up):
    assert route(request_to(ListsButSaves, "GET")) == "replica"
    assert route(request_to(ListsButSaves, "HEAD")) == "replica"  # answered by get()
    assert route(request_to(ListsButSaves, "POST")) == "default"


def test_unmarked_views_read_the_primary(replica_up):
    assert route(request_to(Unmarked)) == "default"


def test_outside_a_request_commands_and_jobs_read_the_primary(replica_up):
    assert router.ReplicaRouter().db_for_read(object) == "default"


def test_an_anonymous_caller_reads_the_primary(replica_up):
    assert route(request_to(ReadsOnly, user=AnonymousUser())) == "default"


def test_before_drf_authenticates_reads_go_to_the_primary_and_the_lazy_user_is_not_evaluated(replica_up):
    evaluated = []
    request = request_to(ReadsOnly, user=SimpleLazyObject(lambda: evaluated.append(1) or AnonymousUser()))

    assert route(request) == "default"  # e.g. the token's user row and sign-out check
    assert evaluated == []  # evaluating it would query the sessions table from inside the router

    request.user = Learner()  # what DRF does once the token is checked
    assert route(request) == "replica"


@pytest.mark.django_db
def test_inside_a_transaction_reads_stay_on_the_primary(replica_up):
    assert connections["default"].in_atomic_block  # the test's own transaction
    assert route(request_to(ReadsOnly)) == "default"


def test_a_replica_that_does_not_answer_sends_the_read_to_the_primary(monkeypatch):
    monkeypatch.setattr(router, "replica_reachable", lambda: False)

    assert route(request_to(ReadsOnly)) == "default"


# --- read-your-writes --------------------------------------------------------------------------

def test_a_learner_who_just_wrote_reads_the_primary_until_the_window_ends(replica_up):
    learner = Learner()
    router.remember_write(learner.pk)

    assert route(request_to(ReadsOnly, user=learner)) == "default"
    assert route(request_to(ReadsOnly)) == "replica"  # another learner

    router.caches["default"].delete(router.sticky_key(learner.pk))  # the window's end, without waiting
    assert route(request_to(ReadsOnly, user=learner)) == "replica"


def test_the_window_lasts_the_sticky_seconds(settings, monkeypatch):
    settings.DATABASE_REPLICA_STICKY_SECONDS = 7
    calls = []
    monkeypatch.setattr(router, "set_quietly", lambda *args: calls.append(args))

    router.remember_write("learner-1")

    assert calls[0][0] == "rw:learner-1" and calls[0][2] == 7


def test_with_the_cache_unavailable_nobody_knows_who_wrote_so_reads_go_to_the_primary(replica_up, monkeypatch):
    class Unavailable:
        def get(self, *args: Any, **kwargs: Any) -> Any:
            raise CacheUnavailable()

    monkeypatch.setattr(router, "caches", {"default": Unavailable()})

    assert route(request_to(ReadsOnly)) == "default"


@pytest.mark.django_db
def test_a_write_keeps_the_rest_of_the_request_on_the_primary_and_is_remembered_when_it_commits(
        replica_up, outside_transactions, django_capture_on_commit_callbacks):
    learner = Learner()
    request = request_to(ReadsOnly, user=learner)
    assert route(request) == "replica"

    with django_capture_on_commit_callbacks(execute=True) as committed:
        assert write_in(request) == "default"
        write_in(request)
        assert route(request) == "default"  # the request reads what it wrote
        assert not router.wrote_recently(learner.pk)  # not before the commit

    assert len(committed) == 1  # once per request, however many rows it writes
    assert router.wrote_recently(learner.pk)
    assert route(request_to(ReadsOnly, user=learner)) == "default"  # the learner's next request


@pytest.mark.django_db
def test_a_write_rolled_back_is_not_remembered(replica_up, outside_transactions, django_capture_on_commit_callbacks):
    learner = Learner()

    with django_capture_on_commit_callbacks(execute=False):
        write_in(request_to(ReadsOnly, "POST", user=learner))

    assert not router.wrote_recently(learner.pk)


def test_the_decision_is_taken_once_per_request(replica_up, monkeypatch):
    asked = []
    monkeypatch.setattr(router, "wrote_recently", lambda user_id: asked.append(user_id) or False)
    request = request_to(ReadsOnly)

    assert [route(request) for _ in range(5)] == ["replica"] * 5
    assert len(asked) == 1


# --- the replica's probe -----------------------------------------------------------------------

class StandInReplica:
    def __init__(self) -> None:
        self.up, self.attempts = False, 0

    def close_if_health_check_failed(self) -> None:
        pass

    def ensure_connection(self) -> None:
        self.attempts += 1
        if not self.up:
            raise OperationalError("connection refused")


def test_an_unreachable_replica_is_skipped_for_the_retry_seconds_then_tried_again(settings, monkeypatch):
    settings.DATABASE_REPLICA_RETRY_SECONDS = 5
    clock, replica = Clock(1000.0), StandInReplica()
    monkeypatch.setattr(router, "_breaker", CircuitBreaker(reset_after=5, clock=clock.time))
    monkeypatch.setattr(router, "connections", {router.REPLICA: replica})

    assert router.replica_reachable() is False
    assert router.replica_reachable() is False
    assert replica.attempts == 1  # the second read did not wait for a dead server

    replica.up = True
    clock.advance(5.1)
    assert router.replica_reachable() is True
    assert router.replica_reachable() is True
    assert replica.attempts == 3


# --- the router's other answers and the settings ----------------------------------------------

def test_writes_and_migrations_only_ever_touch_the_primary():
    replica_router = router.ReplicaRouter()

    assert replica_router.db_for_write(object) == "default"
    assert replica_router.allow_migrate("default", "game") is True
    assert replica_router.allow_migrate("replica", "game") is False
    assert replica_router.allow_relation(object(), object()) is True


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_a_replica_needs_a_shared_cache_the_same_engine_and_a_window(settings):
    settings.DATABASES = {**settings.DATABASES, "replica": {"ENGINE": "django.db.backends.mysql"}}
    settings.CACHES = {**settings.CACHES, "default": {"BACKEND": "django_prometheus.cache.backends.locmem.LocMemCache"}}
    settings.DATABASE_REPLICA_STICKY_SECONDS = 0

    ids = {error.id for error in check_settings() if isinstance(error, Error)}

    assert {"core.E005", "core.E006", "core.E007"} <= ids
