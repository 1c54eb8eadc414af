"""Celery tasks of accounts: thin wrappers around services."""

import smtplib

from accounts import services
from accounts.services.account_tokens import purge_ended as purge_ended_tokens
from config.celery import app
from core import mail
from jobs.services import run_now

# A mail server that refuses or is unreachable is tried again: 10 s, 20 s, 40 s, … up to ~10 minutes.
_MAIL_RETRIES = {"autoretry_for": (smtplib.SMTPException, OSError), "retry_backoff": 10, "retry_backoff_max": 600,
                 "retry_jitter": True, "max_retries": 6}


@app.task(name="accounts.purge_sessions")
def purge_sessions() -> None:
    def work() -> dict:
        return {**services.purge_ended_sessions(), "account_tokens": purge_ended_tokens()}

    run_now(kind="purge_sessions", work=work)


@app.task(name="accounts.send_verification_mail", **_MAIL_RETRIES)
def send_verification_mail(user_id: str, language: str) -> None:
    services.send_verification_mail(user_id=user_id, language=language)


@app.task(name="accounts.send_password_reset_mail", **_MAIL_RETRIES)
def send_password_reset_mail(email: str, language: str) -> None:
    services.send_password_reset_mail(email=email, language=language)


@app.task(name="accounts.send_email_change_mail", **_MAIL_RETRIES)
def send_email_change_mail(user_id: str, new_email: str, language: str) -> None:
    services.send_email_change_mail(user_id=user_id, new_email=new_email, language=language)


@app.task(name="accounts.deliver_mail", **_MAIL_RETRIES)
def deliver_mail(message: dict) -> None:
    """A mail already composed (a notice, the admin's reset link): only delivery is left."""
    mail.send(message)
