"""The embedded default for mail and text messages: one file per message in ``YANPIAO_OUTBOX``.

Without an SMTP server (``YANPIAO_SMTP_HOST`` unset) Django's mail goes through
:class:`OutboxEmailBackend`, which writes each message as an ``.eml`` file; text messages go
through :class:`OutboxSmsBackend`, which writes a ``.txt`` file into ``sms/``.  Every message
is logged with its recipient masked.  The files hold live confirmation and reset secrets, so
the folders and files are readable by their owner only.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from yanpiao.access.masking import mask
from yanpiao.accounts.sms import SmsBackend

logger = logging.getLogger(__name__)


def outbox_folder(*parts: str) -> Path:
    folder = Path(settings.YANPIAO_OUTBOX, *parts)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def write_message(folder: Path, suffix: str, content: bytes) -> Path:
    """A new file in ``folder``, named by time so that a listing sorts oldest first."""
    name = f"{timezone.now():%Y%m%d-%H%M%S-%f}-{secrets.token_hex(4)}.{suffix}"
    path = folder / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
    return path


def masked(address: str) -> str:
    return mask(address, "email" if "@" in address else "phone")


class OutboxEmailBackend(BaseEmailBackend):
    """Writes each message to ``YANPIAO_OUTBOX/<time>-<random>.eml``."""

    def send_messages(self, email_messages):
        sent = 0
        for message in email_messages:
            if not message.recipients():
                continue
            try:
                path = write_message(outbox_folder(), "eml", message.message().as_bytes(linesep="\n"))
            except OSError:
                if not self.fail_silently:
                    raise
                continue
            recipients = ", ".join(masked(address) for address in message.recipients())
            logger.info("mail to %s written to %s", recipients, path)
            sent += 1
        return sent


class OutboxSmsBackend(SmsBackend):
    """Writes each message to ``YANPIAO_OUTBOX/sms/<time>-<random>.txt``: a ``To:`` line, a blank line, the text."""

    def send(self, phone: str, text: str) -> None:
        path = write_message(outbox_folder("sms"), "txt", f"To: {phone}\n\n{text}\n".encode())
        logger.info("text message to %s written to %s", masked(phone), path)
