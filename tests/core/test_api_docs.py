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


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    return [(f"{method.upper()} {path}", operation) for path, methods in schema["paths"].items()
            for method, operation in methods.items()]


def test_every_operation_has_a_summary(schema):
    assert [name for name, operation in operations(schema) if not operation.get("summary")] == []


def test_component_names_read_like_the_things_they_are(schema):
    assert [name for name in schema["components"]["schemas"] if "RequestRequest" in name] == []


def test_every_error_answer_is_the_one_shared_error_component(schema):
    inline = []
    for name, operation in operations(schema):
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            body = response.get("content", {}).get("application/json", {}).get("schema", {})
            if body != {"$ref": "#/components/schemas/Error"}:
                inline.append(f"{name} {status}")
    assert inline == []


def test_only_operations_that_send_a_file_take_anything_but_json(schema):
    def sends_a_file(component: dict) -> bool:
        ref = component.get("$ref", "")
        fields = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]["properties"] if ref else {}
        return any("binary" in (field.get("format"), field.get("items", {}).get("format"))
                   for field in fields.values())

    wrong = []
    for name, operation in operations(schema):
        content = operation.get("requestBody", {}).get("content", {})
        media_types = set(content) - {"application/json"}
        if media_types and not (media_types == {"multipart/form-data"}
                                and sends_a_file(content["multipart/form-data"]["schema"])):
            wrong.append(f"{name}: {sorted(content)}")
    assert wrong == []


# Fields a response really may leave out; every other response field is always in the body, so a
# generated client gets a plain attribute rather than "value or Unset".
OPTIONAL_RESPONSE_FIELDS = {("Error", "errors"), ("ImportRowError", "column"), ("ImportRowError", "value")}


def test_response_fields_that_are_always_sent_are_required(schema):
    optional = {(name, field) for name, component in schema["components"]["schemas"].items()
                if not name.endswith("Request")
                for field in component.get("properties", {}) if field not in component.get("required", [])}
    assert optional == OPTIONAL_RESPONSE_FIELDS
