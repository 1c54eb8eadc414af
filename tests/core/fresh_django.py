"""Run Django in a new interpreter with a controlled environment, as a deployment would start.

For settings read once at start-up: DEBUG-dependent defaults, refusals to start, Sentry.
"""

import json
import os
import secrets
import subprocess
import sys

from django.conf import settings

PRODUCTION_ENV = {"DEBUG": "0", "ALLOWED_HOSTS": "api.example.com",
                  "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.com:587"}


def run_django(code: str, **env: str) -> subprocess.CompletedProcess:
    """Run `code` after django.setup() with only PATH, HOME, a random SECRET_KEY and `env` set."""
    clean_env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"),
                 "DJANGO_SETTINGS_MODULE": "config.settings", "SECRET_KEY": secrets.token_urlsafe(50), **env}
    script = "import django\ndjango.setup()\n" + code
    return subprocess.run([sys.executable, "-c", script], cwd=settings.BASE_DIR, env=clean_env,
                          capture_output=True, text=True, timeout=120)


def settings_in(names: list[str], **env: str) -> dict:
    result = run_django(
        "import json\nfrom django.conf import settings\n"
        f"print(json.dumps({{name: getattr(settings, name, None) for name in {names!r}}}))", **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])
