"""The project's settings plus one bare endpoint (bench/bare_urls.py) for benchmarks to compare against.

    DJANGO_SETTINGS_MODULE=bench.bare_settings  (harness.start_django(DJANGO_SETTINGS_MODULE=...) sets it, and
    the gunicorn that harness.gunicorn starts inherits it)
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.bare_urls"
