"""Outgoing mail: every message is three templates (subject, plain text, HTML) rendered in one language.

`render` runs where the message is composed, `send` where it is delivered (a worker: no
request waits for a mail server). A `Mail` travels through the broker as a plain dict.
"""

from dataclasses import asdict, dataclass

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    html: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def render(template: str, context: dict, *, to: str, language: str) -> Mail:
    """`template` names `<template>_subject.txt`, `<template>.txt` and `<template>.html`."""
    with translation.override(language):
        # A subject is one line whatever the template's line breaks (a header cannot hold a newline).
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        text = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
    return Mail(to=to, subject=subject, text=text, html=html)


def send(mail: Mail | dict) -> None:
    """Deliver through the configured backend (EMAIL_URL); SMTP errors propagate for the task to retry."""
    if isinstance(mail, dict):
        mail = Mail(**mail)
    message = EmailMultiAlternatives(subject=mail.subject, body=mail.text, to=[mail.to])
    message.attach_alternative(mail.html, "text/html")
    message.send()
