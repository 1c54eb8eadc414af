"""`manage.py check --deploy` warns about a guessable JWT signing key and mail that reaches nobody."""

import pytest
from django.core.management import call_command


def _deploy_check_output(capsys) -> str:
    call_command("check", deploy=True, tags=["security"])
    captured = capsys.readouterr()
    return captured.out + captured.err


@pytest.mark.parametrize("secret", ["short", "a" * 80])
def test_a_short_or_repetitive_jwt_secret_is_warned_about(settings, capsys, secret):
    settings.JWT_SECRET_KEY = secret
    assert "accounts.W001" in _deploy_check_output(capsys)


def test_a_long_random_jwt_secret_passes(settings, capsys):
    settings.JWT_SECRET_KEY = "Vb7cX2-qLpR9sT4uW6yZ0aB3dE5fG8hJ1kM_nP2rS4tU6vW8xY0zA3bC5dE7fG9h"
    assert "accounts.W001" not in _deploy_check_output(capsys)


def test_a_mail_backend_that_delivers_nothing_is_warned_about(settings, capsys):
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    assert "accounts.W002" in _deploy_check_output(capsys)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    assert "accounts.W002" not in _deploy_check_output(capsys)
