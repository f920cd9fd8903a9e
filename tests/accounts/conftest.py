"""Fixtures of the account tests: mail and SMS land in an outbox of the test's own."""

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def outbox(settings, tmp_path) -> Path:
    settings.YANPIAO_OUTBOX = tmp_path / "outbox"
    settings.YANPIAO_SMS_BACKEND = "yanpiao.accounts.outbox.OutboxSmsBackend"
    settings.YANPIAO_DELIVERY = "inline"  # mail and text messages leave as they are queued
    return Path(settings.YANPIAO_OUTBOX)
