"""Settings are checked by Django system checks; a process refuses to start while one fails."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from core.checks import check_settings
from tests.core.fresh_django import PRODUCTION_ENV, run_django


def test_good_settings_pass_every_check():
    assert check_settings() == []


def test_manage_py_check_reports_a_bad_value_with_its_id(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login": "ten a minute"}
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/33"]

    with pytest.raises(SystemCheckError) as refused:
        call_command("check", tags=["settings"])

    assert "core.E001" in str(refused.value) and "RATE_LIMIT_LOGIN=ten a minute" in str(refused.value)
    assert "core.E002" in str(refused.value)


def test_a_start_names_every_bad_setting_at_once():
    result = run_django("", **PRODUCTION_ENV, RATE_LIMIT_LOGIN="x", SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "RATE_LIMIT_LOGIN=x" in result.stderr and "SECURE_PROXY_SSL_HEADER must look like" in result.stderr
