import pytest

pytestmark = pytest.mark.django_db


def test_openapi_schema_is_served(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    assert response.json()["info"]["title"] == "English Practice API"


@pytest.mark.parametrize("path, asset", [("/api/docs/", "swagger-ui"), ("/api/redoc/", "redoc")])
def test_docs_pages_load_assets_from_our_own_static_files(client, path, asset):
    response = client.get(path)

    assert response.status_code == 200
    html = response.content.decode()
    assert f"/static/drf_spectacular_sidecar/{asset}" in html
    assert "cdn" not in html.lower()
