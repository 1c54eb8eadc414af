"""Account mails: queued by the flows (verification, reset, email change), composed and sent on a worker.

A request only puts a small task on the broker (accounts.tasks); the worker creates the
code, renders the mail in the requester's language and talks to the mail server, retrying
when it fails. So no request waits for SMTP, and a password-reset request does the same
work whether or not the address has an account.
"""

import hashlib
import logging
from urllib.parse import urlencode

from django.conf import settings
from kombu.exceptions import OperationalError as BrokerError

from accounts.exceptions import MailUnavailable
from core import mail
from core.cache import count_in_window
from core.mail import Mail
from core.observability import metrics

logger = logging.getLogger(__name__)

BUDGET_WINDOW_SECONDS = 3600


def queue(task, *args, kind: str, required: bool = True) -> None:
    """Put `task` on the broker; with the broker away, 503 (`required`) or a warning (the mail can be re-asked for)."""
    try:
        task.delay(*args)
    except (BrokerError, OSError) as exc:
        metrics.record_mail(kind=kind, outcome="not_queued")
        logger.warning("Could not queue the %s mail: %s", kind, exc)
        if required:
            raise MailUnavailable() from exc


def queue_mail(*, mail: Mail, kind: str) -> None:
    """Deliver a composed mail (a notice, the admin's reset link) from a worker; best effort if the broker is down."""
    from accounts.tasks import deliver_mail

    queue(deliver_mail, mail.as_dict(), kind=kind, required=False)


def within_budget(*, kind: str, email: str) -> bool:
    """Count one `kind` mail to `email`: False past ACCOUNT_MAILS_PER_HOUR (whoever keeps asking)."""
    key = "accounts:mails:" + hashlib.sha256(f"{kind}\x00{email}".encode()).hexdigest()
    count = count_in_window(key, BUDGET_WINDOW_SECONDS)
    if count > settings.ACCOUNT_MAILS_PER_HOUR:
        metrics.record_mail(kind=kind, outcome="skipped")
        logger.info("Not sending another %s mail this hour (budget of %d used)", kind,
                    settings.ACCOUNT_MAILS_PER_HOUR)
        return False
    return True


def app_link(path: str, token: str) -> str:
    """A link that opens the app (APP_LINK_BASE_URL: a universal link or a custom scheme)."""
    return f"{settings.APP_LINK_BASE_URL.rstrip('/')}/{path}?{urlencode({'token': token})}"


def send(*, kind: str, template: str, to: str, language: str, context: dict) -> None:
    """Render and deliver now (on the worker); a mail server failure propagates for the task to retry."""
    message = mail.render(f"accounts/email/{template}", {"product": settings.PRODUCT_NAME, **context},
                          to=to, language=language)
    try:
        mail.send(message)
    except Exception:
        metrics.record_mail(kind=kind, outcome="failed")
        raise
    metrics.record_mail(kind=kind, outcome="sent")
