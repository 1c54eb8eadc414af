"""Signing out holds when Redis is down at logout, down afterwards, or restarted empty.

The database's `revoked_at` decides; the cache only remembers answers. These tests run
against a redis-server of their own (tests/faults/redis_server.py) and stop it mid-test.
"""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.accounts.factories import UserFactory
from tests.accounts.helpers import LOGOUT, ME, client_for, login
from tests.faults.redis_server import wait_until_cache_answers

pytestmark = pytest.mark.django_db


def test_a_logout_while_redis_is_down_is_refused_then_and_after_redis_returns_empty(own_redis):
    user = UserFactory()
    tokens = login(user.email)
    assert client_for(tokens["access_token"]).get(ME).status_code == 200  # "signed in" is now cached

    own_redis.stop()
    assert APIClient().post(LOGOUT, {"refresh_token": tokens["refresh_token"]}).status_code == 204
    assert client_for(tokens["access_token"]).get(ME).status_code == 401

    own_redis.start()  # a restart: nothing cached
    wait_until_cache_answers()
    assert cache.get(f"accounts:session-state:{tokens['user']['id']}") is None
    assert client_for(tokens["access_token"]).get(ME).status_code == 401


def test_with_redis_down_a_signed_in_device_is_still_served(own_redis):
    user = UserFactory()
    tokens = login(user.email)

    own_redis.stop()

    assert client_for(tokens["access_token"]).get(ME).status_code == 200


def test_a_logout_seen_by_redis_is_refused_without_asking_the_database(own_redis, django_assert_num_queries,
                                                                     django_capture_on_commit_callbacks):
    user = UserFactory()
    tokens = login(user.email)
    with django_capture_on_commit_callbacks(execute=True):  # the logout's commit publishes the revocation
        APIClient().post(LOGOUT, {"refresh_token": tokens["refresh_token"]})
    client = client_for(tokens["access_token"])

    with django_assert_num_queries(1):  # the user row only: the revocation comes from the cache
        assert client.get(ME).status_code == 401
