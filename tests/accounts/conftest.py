"""Fixtures of the account tests: mail and SMS land in an outbox of the test's own."""

from pathlib import Path

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def outbox(settings, tmp_path) -> Path:
    settings.YANPIAO_OUTBOX = tmp_path / "outbox"
    settings.YANPIAO_SMS_BACKEND = "yanpiao.accounts.outbox.OutboxSmsBackend"
    cache.clear()  # the send limits count in the cache
    return Path(settings.YANPIAO_OUTBOX)
