"""The set-wise read of batches: the key fields and status of many registered invoices at once."""

from decimal import Decimal

import pytest

from tests import factories
from yanpiao.fapiao import types
from yanpiao.fapiao.invoice import InvoiceKey
from yanpiao.registry import lookup
from yanpiao.registry import services as registry

pytestmark = pytest.mark.django_db


def test_it_reads_what_find_reads_of_every_type(register):
    invoices = [register(type=type) for type in types.NAMES]
    found = lookup.find_many(invoice.key for invoice in invoices)
    for invoice in invoices:
        full = lookup.find(invoice.key)
        read = found[invoice.key]
        assert (read.id, read.type, read.issue_date, read.amount, read.total, read.status) == (
            full.id,
            invoice.type,
            invoice.issue_date,
            invoice.amount,
            invoice.total,
            "normal",
        )
        assert read.check_code == invoice.check_code  # decrypted when asked for
        assert not invoice.check_code or invoice.check_code not in read.sealed_check_code


def test_unregistered_keys_are_absent_and_repeated_keys_read_once(register):
    invoice = register(type="10")
    never = factories.invoice(type="10")
    assert list(lookup.find_many([invoice.key, never.key, invoice.key])) == [invoice.key]
    assert lookup.find_many([]) == {}


def test_it_reads_the_status(register):
    voided, reversed = register(type="01"), register(type="32")
    registry.void(voided.key, "test")
    register(factories.red_letter(reversed, Decimal("0.5")))
    found = lookup.find_many([voided.key, reversed.key])
    assert (found[voided.key].status, found[reversed.key].status) == ("voided", "partially_red_flushed")


def test_many_keys_are_read_a_statement_at_a_time(register, monkeypatch):
    monkeypatch.setattr(lookup, "KEYS_PER_QUERY", 2)
    invoices = [register(type="32") for _ in range(5)]
    keys = [invoice.key for invoice in invoices] + [InvoiceKey("", "26112000000999999999")]
    assert {key: found.total for key, found in lookup.find_many(keys).items()} == {
        invoice.key: invoice.total for invoice in invoices
    }
