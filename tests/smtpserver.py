"""A real SMTP server for the test session (aiosmtpd on a free port) that keeps what it received.

The app sends to it over SMTP exactly as to a production relay; tests read the parsed
messages, their codes and links, from `inbox`.
"""

import email
import email.policy
import logging
import re
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller

from tests.faults.redis_server import free_port


@dataclass
class ReceivedMail:
    to: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, content_type: str) -> str:
        for part in self.message.walk():
            if part.get_content_type() == content_type:
                return part.get_content()
        raise AssertionError(f"no {content_type} part in {self.subject!r}")

    @property
    def text(self) -> str:
        return self.part("text/plain")

    @property
    def html(self) -> str:
        return self.part("text/html")

    @property
    def code(self) -> str:
        match = re.search(r"^\s+(\d{6})\s*$", self.text, re.MULTILINE)
        assert match, f"no code in {self.text!r}"
        return match.group(1)

    @property
    def link_token(self) -> str:
        match = re.search(r"(\S+://\S+\?token=\S+)", self.text)
        assert match, f"no link in {self.text!r}"
        return parse_qs(urlsplit(match.group(1)).query)["token"][0]


class _Handler:
    def __init__(self, inbox: "Inbox"):
        self.inbox = inbox

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        self.inbox.add(ReceivedMail(to=list(envelope.rcpt_tos), message=message))
        return "250 OK"


class Inbox:
    def __init__(self):
        self._mails: list[ReceivedMail] = []
        self._changed = threading.Condition()

    def add(self, mail: ReceivedMail) -> None:
        with self._changed:
            self._mails.append(mail)
            self._changed.notify_all()

    def clear(self) -> None:
        with self._changed:
            self._mails.clear()

    @property
    def mails(self) -> list[ReceivedMail]:
        with self._changed:
            return list(self._mails)

    def to(self, address: str) -> list[ReceivedMail]:
        return [mail for mail in self.mails if address in mail.to]

    def wait_for(self, address: str, count: int = 1, timeout: float = 20.0) -> ReceivedMail:
        """The `count`-th mail to `address` (waiting for the worker to send it); its newest otherwise."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len([m for m in self._mails if address in m.to]) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no mail #{count} to {address} within {timeout} s; got "
                                         f"{[(m.to, m.subject) for m in self._mails]}")
                self._changed.wait(left)
            return [m for m in self._mails if address in m.to][count - 1]


class SmtpServer:
    def __init__(self):
        self.inbox = Inbox()
        self.port = free_port()
        self._controller = Controller(_Handler(self.inbox), hostname="127.0.0.1", port=self.port)

    def start(self) -> "SmtpServer":
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()
