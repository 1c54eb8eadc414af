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


def compose(*, to: str, subject_template: str, text_template: str, html_template: str | None,
            context: dict) -> Mail:
    """A mail from its templates in the active language (`html_template` None: plain text only)."""
    # A subject is one line whatever the template's line breaks (a header cannot hold a newline).
    subject = " ".join(render_to_string(subject_template, context).split())
    return Mail(to=to, subject=subject, text=render_to_string(text_template, context),
                html=render_to_string(html_template, context) if html_template else "")


def render(template: str, context: dict, *, to: str, language: str) -> Mail:
    """`template` names `<template>_subject.txt`, `<template>.txt` and `<template>.html`."""
    with translation.override(language):
        return compose(to=to, subject_template=f"{template}_subject.txt", text_template=f"{template}.txt",
                       html_template=f"{template}.html", context=context)


def send(mail: Mail | dict) -> None:
    """Deliver through the configured backend (EMAIL_URL); SMTP errors propagate for the task to retry."""
    if isinstance(mail, dict):
        mail = Mail(**mail)
    message = EmailMultiAlternatives(subject=mail.subject, body=mail.text, to=[mail.to])
    if mail.html:  # an empty HTML part would be what a mail client shows
        message.attach_alternative(mail.html, "text/html")
    message.send()
