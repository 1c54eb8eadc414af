"""Requests the API fuzz found mishandled, kept as fixed examples so they stay fixed.

Each response is checked against the schema as in the fuzz (Api.send), besides the asserts here.
"""

import pytest

from tests.accounts.factories import StaffUserFactory
from tests.fuzz.test_success_responses import Api, signed_in

pytestmark = pytest.mark.django_db(transaction=True)

HUGE_PAGE = 43582112874249854800959111168  # OFFSET beyond a 64-bit integer: was a 500 on SQLite and PostgreSQL


@pytest.fixture(autouse=True)
def _in_process_api(settings):
    settings.RATE_LIMIT_ENABLED = False
    settings.RATELIMIT_ENABLE = False
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]


@pytest.mark.parametrize("path, key", [
    ("/api/v1/auth/sessions", "sessions"),
    ("/api/v1/game/sessions", "sessions"),
    ("/api/v1/admin/speeches", "speeches"),
])
def test_a_page_far_past_the_end_is_empty(path, key):
    editor = signed_in(StaffUserFactory())
    body = editor.send("GET", path, expect=200, query_string={"page": HUGE_PAGE, "limit": 12}).get_json()
    assert body[key] == []
    assert body["pagination"]["page"] == HUGE_PAGE
    assert body["pagination"]["total_pages"] <= 1


@pytest.mark.parametrize("path", ["/api/v1/auth/logout", "/api/v1/game/sessions", "/api/v1/admin/import/csv"])
def test_a_body_without_content_type_is_a_documented_415(path):
    editor = signed_in(StaffUserFactory())
    response = editor.send("POST", path, expect=415, data=b"\xc3\x88r garbage")
    assert response.get_json()["code"] == "unsupported_media_type"


def test_a_path_value_the_route_refuses_is_a_documented_404():
    response = Api().send("GET", "/api/v1/audio/{key}", params={"key": "Bvu%60%0A"}, expect=404,
                          query_string={"signature": "x", "expires": "1"})
    assert response.get_json()["code"] == "not_found"

