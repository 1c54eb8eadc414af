"""`/` tells a visitor where things are; unknown API paths are JSON 404s, in DEBUG as in production."""

import pytest
from django.contrib import admin

pytestmark = pytest.mark.django_db


def test_the_root_is_a_json_map_of_the_service(client):
    response = client.get("/")

    assert response.status_code == 200
    body = response.json()
    assert body["api_base"] == "http://testserver/api/v1/"
    assert body["links"]["docs"] == "http://testserver/api/docs/"
    assert body["links"]["admin"] == "http://testserver/admin/"
    for url in body["links"].values():
        assert client.get(url.removeprefix("http://testserver")).status_code in (200, 302)


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("path", ["/api/v1/no-such-thing", "/api/v2/tags", "/api/nothing/here/"])
def test_unknown_api_paths_are_json_404(client, settings, debug, path):
    settings.DEBUG = debug

    response = client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"code": "not_found", "detail": "Not found."}


def test_unknown_api_paths_answer_in_the_callers_language(client, settings):
    settings.DEBUG = True

    response = client.get("/api/v1/no-such-thing", HTTP_ACCEPT_LANGUAGE="vi")

    assert response.json()["detail"] != "Not found."


def test_pages_that_end_in_a_slash_still_redirect_there(client):
    response = client.get("/api/docs?x=1")

    assert response.status_code == 301
    assert response["Location"] == "/api/docs/?x=1"


def test_the_admin_names_the_product(admin_client, settings):
    client = admin_client

    page = client.get("/admin/").content.decode()

    assert f"{settings.PRODUCT_NAME} admin" in page
    assert "Django administration" not in page
    assert "Speeches" in page and "Speechs" not in page
    assert admin.site.site_url is None  # no "View site" link that leads to a JSON 404
    assert "View site" not in page


@pytest.mark.parametrize("method", ["put", "delete", "post"])
def test_writes_to_unknown_api_paths_are_json_404_not_a_csrf_page(method):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)

    response = getattr(client, method)("/api/v1/admin/speeches/null,null", data="{}",
                                       content_type="application/json")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
