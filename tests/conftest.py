"""Fixtures shared by the whole suite."""

import pytest

from tests import factories
from yanpiao.registry import services as registry


@pytest.fixture
def register(db):
    """Register invoices built by the factories; returns the fapiao invoice."""

    def _register(invoice=None, **fields):
        invoice = invoice or factories.invoice(**fields)
        registry.register(invoice)
        return invoice

    return _register
