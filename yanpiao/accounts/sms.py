"""Text messages: a small backend interface, chosen by ``settings.YANPIAO_SMS_BACKEND``.

A backend is a class with a ``send(phone, text)`` method; :func:`send_sms` loads the configured
one by its dotted path.  The default, :class:`yanpiao.accounts.outbox.OutboxSmsBackend`, writes
each message to ``YANPIAO_OUTBOX/sms/``; a gateway for a real SMS provider subclasses
:class:`SmsBackend` the same way.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string

from yanpiao.accounts.models import normalize_phone


class SmsBackend:
    """Sends one text message to one mainland phone number (digits only, no country prefix)."""

    def send(self, phone: str, text: str) -> None:
        raise NotImplementedError


def get_backend(path: str | None = None) -> SmsBackend:
    return import_string(path or settings.YANPIAO_SMS_BACKEND)()


def send_sms(phone: str, text: str) -> None:
    get_backend().send(normalize_phone(phone), text)
