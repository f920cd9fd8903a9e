"""Servers on loopback for the tests: a free port, and an SMTP server (aiosmtpd) keeping every
message it receives."""

from __future__ import annotations

import contextlib
import email
import email.policy
import re
import socket
from collections.abc import Iterator

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Mailbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def recipients(self) -> list[str]:
        return [message["To"] for message in self.messages]

    def links(self, to: str, path: str = "/accounts/") -> list[str]:
        """The paths under ``path`` of the links in the messages to ``to``: links start with the
        configured site address (``YANPIAO_SITE_URL``), not a request's host."""
        from django.conf import settings

        site, found = settings.YANPIAO_SITE_URL, []
        for message in self.messages:
            if message["To"] == to:
                found += re.findall(re.escape(site) + "(" + re.escape(path) + r"\S+/)", message.get_content())
        return found


@contextlib.contextmanager
def smtp_server(settings, deliver_inline: bool = True) -> Iterator[Mailbox]:
    """Django's mail sent to an SMTP server on loopback while the block runs (``settings``: the
    pytest-django fixture); with ``deliver_inline`` queued mail leaves at once, as a worker sends it."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    if deliver_inline:
        settings.YANPIAO_DELIVERY = "inline"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", controller.port, False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield mailbox
    finally:
        controller.stop()
