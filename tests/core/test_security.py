"""HTTP security: headers, HTTPS, CORS, CSP, production settings (check --deploy), Sentry."""

import gzip
import json
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from tests.core.fresh_django import PRODUCTION_ENV, run_django, settings_in

pytestmark = pytest.mark.django_db


# --- headers on API responses -------------------------------------------------------------

def test_api_responses_carry_the_security_headers(api_client):
    response = api_client.post("/api/v1/auth/login", {"email": "nobody@example.com", "password": "x"})

    assert response.status_code in (400, 401)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_hsts_is_sent_over_https_when_debug_is_off(api_client):
    over_https = api_client.get("/health", secure=True)
    over_http = api_client.get("/health")

    assert over_https["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert "Strict-Transport-Security" not in over_http


def test_plain_http_is_redirected_except_health_checks_and_metrics(settings, client):
    settings.SECURE_SSL_REDIRECT = True

    redirected = client.get("/api/v1/tags?x=1")
    assert redirected.status_code == 301
    assert redirected["Location"] == "https://testserver/api/v1/tags?x=1"
    assert client.get("/admin/login/").status_code == 301
    assert client.get("/health").status_code == 200
    assert client.get("/health/ready").status_code == 200
    assert client.get("/metrics").status_code == 200


def test_behind_a_tls_proxy_its_header_marks_requests_secure(settings, client):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

    response = client.get("/health/ready", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 200
    assert "Strict-Transport-Security" in response
    assert client.get("/admin/login/", HTTP_X_FORWARDED_PROTO="https").status_code == 200
    assert client.get("/admin/login/", HTTP_X_FORWARDED_PROTO="http").status_code == 301


def test_https_settings_follow_debug():
    names = ["SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
             "SECURE_PROXY_SSL_HEADER"]

    production = settings_in(names, **PRODUCTION_ENV, SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto=https")
    development = settings_in(names, DEBUG="1")

    assert production == {"SECURE_SSL_REDIRECT": True, "SECURE_HSTS_SECONDS": 31536000,
                          "SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True,
                          "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"]}
    assert development == {"SECURE_SSL_REDIRECT": False, "SECURE_HSTS_SECONDS": 0,
                           "SESSION_COOKIE_SECURE": False, "CSRF_COOKIE_SECURE": False,
                           "SECURE_PROXY_SSL_HEADER": None}


# --- CORS ---------------------------------------------------------------------------------

APP_ORIGIN = "https://app.example.com"


@pytest.fixture
def allowed_origin(settings):
    settings.CORS_ALLOWED_ORIGINS = [APP_ORIGIN]
    return APP_ORIGIN


def preflight(client, origin: str, path: str = "/api/v1/auth/login"):
    return client.options(path, HTTP_ORIGIN=origin, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
                          HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type, idempotency-key")


def test_preflight_from_an_allowed_origin_is_answered(client, allowed_origin):
    response = preflight(client, allowed_origin)

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == allowed_origin
    allowed_headers = {h.strip() for h in response["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "idempotency-key"} <= allowed_headers
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Credentials" not in response


def test_preflight_from_a_foreign_origin_gets_no_cors_grant(client, allowed_origin):
    response = preflight(client, "https://evil.example.net")

    assert "Access-Control-Allow-Origin" not in response
    assert "Access-Control-Allow-Methods" not in response


def test_allowed_origins_can_read_retry_after_and_the_request_id(client, allowed_origin):
    response = client.get("/api/v1/tags", HTTP_ORIGIN=allowed_origin)

    assert response["Access-Control-Allow-Origin"] == allowed_origin
    exposed = {h.strip().lower() for h in response["Access-Control-Expose-Headers"].split(",")}
    assert {"retry-after", "x-request-id"} <= exposed


def test_cors_covers_only_the_api_not_the_admin(client, allowed_origin):
    response = preflight(client, allowed_origin, path="/admin/login/")

    assert "Access-Control-Allow-Origin" not in response


def test_allowed_origins_come_from_the_environment():
    loaded = settings_in(["CORS_ALLOWED_ORIGINS", "CORS_ALLOW_ALL_ORIGINS"], **PRODUCTION_ENV,
                         ALLOWED_ORIGINS="https://app.example.com,https://admin.example.com")

    assert loaded == {"CORS_ALLOWED_ORIGINS": ["https://app.example.com", "https://admin.example.com"],
                      "CORS_ALLOW_ALL_ORIGINS": None}


def test_a_wildcard_origin_is_refused_in_production_and_allowed_in_debug():
    refused = run_django("", **PRODUCTION_ENV, ALLOWED_ORIGINS="https://app.example.com,*")
    assert refused.returncode != 0
    assert "ImproperlyConfigured" in refused.stderr
    assert "ALLOWED_ORIGINS may not contain *" in refused.stderr

    assert settings_in(["CORS_ALLOW_ALL_ORIGINS"], DEBUG="1", ALLOWED_ORIGINS="*") == {"CORS_ALLOW_ALL_ORIGINS": True}


# --- Content-Security-Policy on the admin and the API docs ------------------------------------

def csp_directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in policy.split(";") if part.strip())}


def scripts_without_src(html: str) -> list[str]:
    return [tag for tag in re.findall(r"<script\b[^>]*>", html) if "src=" not in tag]


@pytest.mark.parametrize("path", ["/admin/login/", "/api/docs/", "/api/redoc/"])
def test_html_pages_have_a_csp_their_own_scripts_satisfy(client, path):
    response = client.get(path)

    assert response.status_code == 200
    policy = csp_directives(response)
    assert policy["script-src"] == ["'self'"]            # no inline or eval'd scripts anywhere
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "blob:" in policy["worker-src"]                # ReDoc's search worker
    html = response.content.decode()
    assert scripts_without_src(html) == []
    assert not re.search(r"""(src|href)=["']https?://""", html), "a third-party asset would be blocked"


def test_swagger_ui_start_up_script_is_served_as_a_same_origin_file(client):
    page = client.get("/api/docs/").content.decode()
    script_url = re.search(r'<script src="([^"]*script=[^"]*)"', page).group(1).replace("&amp;", "&")

    script = client.get(script_url)

    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle(" in script.content.decode()


def test_admin_pages_after_sign_in_run_only_same_origin_scripts(client, staff_user):
    staff_user.is_superuser = True
    staff_user.save()
    client.force_login(staff_user)

    response = client.get("/admin/")

    assert response.status_code == 200
    assert csp_directives(response)["script-src"] == ["'self'"]
    assert scripts_without_src(response.content.decode()) == []


# --- production settings --------------------------------------------------------------------

def test_check_deploy_passes_with_production_settings():
    result = run_django(
        "from django.core.management import call_command\n"
        "call_command('check', '--deploy', '--fail-level', 'WARNING')\n",
        **PRODUCTION_ENV,
    )

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout + result.stderr


def test_check_deploy_fails_with_debug_settings_in_production():
    # Shows the check above can fail: DEBUG-style HTTPS settings are reported.
    result = run_django(
        "from django.core.management import call_command\n"
        "call_command('check', '--deploy', '--fail-level', 'WARNING')\n",
        **PRODUCTION_ENV, SECURE_SSL_REDIRECT="0", SECURE_HSTS_SECONDS="0",
    )

    assert result.returncode != 0
    assert "security.W004" in result.stderr and "security.W008" in result.stderr


# --- Sentry -----------------------------------------------------------------------------------

class _SentryInbox(BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "br":  # the SDK picks brotli when the module happens to be installed
            import brotli
            body = brotli.decompress(body)
        self.received.append(body)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def sentry_inbox():
    _SentryInbox.received = []
    server = HTTPServer(("127.0.0.1", 0), _SentryInbox)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], _SentryInbox.received
    server.shutdown()
    server.server_close()


SENTRY_PROBE = (
    "import json, sentry_sdk\n"
    "client = sentry_sdk.get_client()\n"
    "sentry_sdk.capture_message('probe from the test')\n"
    "sentry_sdk.flush(timeout=5)\n"
    "print(json.dumps({'active': client.is_active(),"
    " 'options': {k: client.options.get(k) for k in"
    " ('environment', 'release', 'send_default_pii', 'traces_sample_rate')}}))\n"
)


def test_sentry_stays_off_without_a_dsn(sentry_inbox):
    result = run_django(SENTRY_PROBE, **PRODUCTION_ENV)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1])["active"] is False
    assert sentry_inbox[1] == []


def test_sentry_reports_with_a_dsn_and_sends_no_pii(sentry_inbox):
    port, received = sentry_inbox
    result = run_django(SENTRY_PROBE, **PRODUCTION_ENV, SENTRY_DSN=f"http://publickey@127.0.0.1:{port}/1",
                        SENTRY_ENVIRONMENT="staging", SENTRY_RELEASE="r123", SENTRY_TRACES_SAMPLE_RATE="0.25")

    assert result.returncode == 0, result.stderr
    state = json.loads(result.stdout.strip().splitlines()[-1])
    assert state == {"active": True, "options": {"environment": "staging", "release": "r123",
                                                 "send_default_pii": False, "traces_sample_rate": 0.25}}
    envelope = b"".join(received).decode()
    assert "probe from the test" in envelope
    assert '"environment":"staging"' in envelope.replace(" ", "")


def test_sentry_events_from_requests_leave_out_cookies_and_addresses(sentry_inbox):
    port, received = sentry_inbox
    crash_in_a_request = (
        "import sentry_sdk\n"
        "from django.test import Client, override_settings\n"
        "with override_settings(ROOT_URLCONF='tests.core.urls'):\n"
        "    response = Client(REMOTE_ADDR='203.0.113.77').get(\n"
        "        '/api/v1/raise/crash', secure=True, HTTP_COOKIE='sessionid=cookie-secret-123',\n"
        "        HTTP_X_FORWARDED_FOR='198.51.100.66')\n"
        "sentry_sdk.flush(timeout=5)\n"
        "print(response.status_code)\n"
    )

    result = run_django(crash_in_a_request, **{**PRODUCTION_ENV, "ALLOWED_HOSTS": "testserver"},
                        SENTRY_DSN=f"http://publickey@127.0.0.1:{port}/1")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "500"
    envelope = b"".join(received).decode()
    assert "secret internal detail" in envelope          # the error itself is reported...
    assert "/api/v1/raise/crash" in envelope
    for private in ("cookie-secret-123", "203.0.113.77", "198.51.100.66"):
        assert private not in envelope                      # ...but not who sent it


def test_an_unreachable_sentry_does_not_stop_the_app():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]

    result = run_django(SENTRY_PROBE, **PRODUCTION_ENV, SENTRY_DSN=f"http://publickey@127.0.0.1:{closed_port}/1")

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1])["active"] is True
