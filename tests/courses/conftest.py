import pytest
from rest_framework.test import APIClient

from tests.accounts.factories import UserFactory
from tests.conftest import bearer


@pytest.fixture
def other_client(db) -> APIClient:
    """A client signed in as a second learner."""
    client = APIClient()
    client.credentials(**bearer(UserFactory()))
    return client
