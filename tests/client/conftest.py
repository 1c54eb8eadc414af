"""A Python client generated from the live schema with openapi-python-client, once per test module.

The tests drive the API only through that client, so a schema that a standard generator cannot turn
into working calls (a JSON operation advertised as form data, a missing response schema, a model the
generator skips) fails here. The generated code lives in a temporary folder, never in the repository.
"""

import importlib
import re
import shutil
import subprocess
import sys
import typing
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from django.test.utils import modify_settings

PACKAGE = "englishapp_client"
TIMEOUT = httpx.Timeout(30.0)
# What each generated endpoint module says it requests, e.g. `"method": "post", "url": "/api/v1/auth/login"`.
_REQUEST = re.compile(r'"method":\s*"(?P<method>\w+)",\s*"url":\s*f?"(?P<path>[^"]+)"')
_SKIPPED = re.compile(r"WARNING parsing (?P<method>\w+) (?P<path>\S+) within")


def _generator() -> list[str]:
    """The generator of this interpreter's environment (the one requirements/dev.txt pins)."""
    return [sys.executable, "-m", "openapi_python_client"]


class Operation:
    """One generated endpoint module, found by its method and path in the live schema."""

    def __init__(self, api: "GeneratedApi", method: str, path: str, module: ModuleType):
        self.api, self.method, self.path, self.module = api, method, path, module
        self.spec = api.schema["paths"][path][method]

    def __repr__(self) -> str:
        return f"{self.method.upper()} {self.path} ({self.spec.get('operationId')})"

    @property
    def body_model(self) -> type:
        """The one generated model the function takes as `body`."""
        hint = typing.get_type_hints(self.module.sync_detailed).get("body")
        assert hint is not None, f"{self}: the generated function takes no request body"
        models = [arg for arg in (typing.get_args(hint) or (hint,)) if arg is not self.api.types.Unset]
        assert len(models) == 1 and hasattr(models[0], "to_dict"), (
            f"{self}: the generated function takes `body: {hint}`, not one model")
        return models[0]

    def body(self, **fields: Any) -> Any:
        """The generated request model, parsed from plain values (enums, UUIDs and dates included)."""
        return self.body_model.from_dict(fields)

    def __call__(self, client: Any, *, expect: int, **kwargs: Any) -> Any:
        """Call the operation; assert the status and that the body parsed into the model the schema names."""
        response = self.module.sync_detailed(client=client, **kwargs)
        assert response.status_code == expect, f"{self}: {int(response.status_code)} {response.content[:1000]!r}"
        documented = self.spec["responses"].get(str(expect))
        assert documented is not None, f"{self}: the schema documents no {expect} response"
        media = documented.get("content", {}).get("application/json")
        if media is None:
            assert response.parsed is None and response.content == b"", (
                f"{self}: the schema documents no body for {expect}, the server sent {response.content[:200]!r}")
            return None
        parsed = response.parsed
        assert parsed is not None, f"{self}: the generated client did not parse the {expect} body {response.content!r}"
        assert hasattr(parsed, "to_dict"), f"{self}: {expect} parsed as {type(parsed)}, not a generated model"
        ref = media.get("schema", {}).get("$ref")
        if ref:
            expected = re.sub(r"[^0-9a-z]", "", ref.rsplit("/", 1)[-1].lower())
            assert type(parsed).__name__.lower() == expected, (
                f"{self}: {expect} parsed as {type(parsed).__name__}, the schema says {ref}")
        return parsed


class GeneratedApi:
    def __init__(self, *, schema: dict, package: ModuleType, generator_output: str):
        self.schema, self.package, self.generator_output = schema, package, generator_output
        self.skipped = {(m.group("method").lower(), m.group("path")) for m in _SKIPPED.finditer(generator_output)}
        self.modules: dict[tuple[str, str], str] = {}
        root = Path(package.__file__).parent
        for source in sorted((root / "api").rglob("*.py")):
            found = _REQUEST.search(source.read_text())
            if found:
                dotted = ".".join(source.relative_to(root).with_suffix("").parts)
                self.modules[(found.group("method").lower(), found.group("path"))] = f"{PACKAGE}.{dotted}"

    def op(self, method: str, path: str) -> Operation:
        method = method.lower()
        assert method in self.schema["paths"].get(path, {}), f"the live schema has no {method.upper()} {path}"
        assert (method, path) not in self.skipped, (
            f"the generator could not fully parse {method.upper()} {path}:\n{self.generator_output}")
        assert (method, path) in self.modules, (
            f"the generator made no function for {method.upper()} {path}:\n{self.generator_output}")
        advertised = sorted(self.schema["paths"][path][method].get("requestBody", {}).get("content", {}))
        assert len(advertised) <= 1, (
            f"{method.upper()} {path} advertises {advertised} request bodies; JSON operations take JSON only, "
            "multipart only where a file is sent")
        return Operation(self, method, path, importlib.import_module(self.modules[(method, path)]))

    def client(self, base_url: str) -> Any:
        return self.package.Client(base_url=base_url, timeout=TIMEOUT)

    def authenticated(self, base_url: str, token: str) -> Any:
        return self.package.AuthenticatedClient(base_url=base_url, token=token, timeout=TIMEOUT)

    @property
    def types(self) -> ModuleType:
        return importlib.import_module(f"{PACKAGE}.types")


@pytest.fixture(scope="module")
def generated_api(django_db_setup, django_db_blocker, live_server, tmp_path_factory):
    """Fetch /api/schema/ from the live server, generate a client from it and import it."""
    work = tmp_path_factory.mktemp("generated-client")
    # pytest-django lets the live server's host in for the duration of each test only.
    host = urlsplit(live_server.url).hostname
    with django_db_blocker.unblock(), modify_settings(ALLOWED_HOSTS={"append": host}):
        response = httpx.get(f"{live_server.url}/api/schema/", timeout=TIMEOUT,
                             headers={"Accept": "application/vnd.oai.openapi+json"})
    assert response.status_code == 200, response.text[:1000]
    schema = response.json()
    (work / "schema.json").write_bytes(response.content)
    # No post-hooks: the generator would otherwise run ruff over the generated code (slow, and not ours).
    (work / "config.yaml").write_text("post_hooks: []\n")
    output = work / PACKAGE
    generated = subprocess.run(
        [*_generator(), "generate", "--path", str(work / "schema.json"), "--output-path", str(output),
         "--meta", "none", "--config", str(work / "config.yaml")],
        capture_output=True, text=True, timeout=300, cwd=work)
    log = generated.stdout + generated.stderr
    assert generated.returncode == 0, f"openapi-python-client failed:\n{log}"
    assert (output / "__init__.py").exists(), f"openapi-python-client wrote no package:\n{log}"

    sys.path.insert(0, str(work))
    try:
        yield GeneratedApi(schema=schema, package=importlib.import_module(PACKAGE), generator_output=log)
    finally:
        sys.path.remove(str(work))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]
        shutil.rmtree(work, ignore_errors=True)
