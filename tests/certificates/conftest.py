"""Fixtures of the certificate tests: a key home of the test's own, verifications, certificates."""

import pytest

from tests.factories import key_query
from yanpiao.certificates import services
from yanpiao.verification import services as verification
from yanpiao.verification.models import Verification


@pytest.fixture(autouse=True)
def own_keys(own_keysets):
    """Signing keys in a home of the test's own, so rotations and fresh keys stay in the test."""
    return own_keysets


@pytest.fixture
def verify(register):
    """Register an invoice (of ``type``, with ``invoice_fields``), verify it as ``actor`` would with
    the key fields (``overrides`` changing some), and return the history row."""

    def _verify(type="01", actor=None, invoice_fields=None, **overrides):
        invoice = register(type=type, **(invoice_fields or {}))
        result = verification.verify(key_query(invoice, **overrides), actor=actor)
        return Verification.objects.select_related("actor", "invoice").get(public_id=result.verification_id)

    return _verify


@pytest.fixture
def certificate(verify):
    """A genuine certificate of an authentic verification (a 专票 of total 170.98)."""
    return services.issue(None, verify())


def flip(data: bytes, position: int) -> bytes:
    """``data`` with one bit of the byte at ``position`` flipped."""
    return data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1 :]
