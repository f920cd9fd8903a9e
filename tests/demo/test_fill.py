"""Filling the registry with demo invoices, through the registry's bulk registration."""

import datetime

import pytest

from yanpiao.demo.fill import fill
from yanpiao.demo.generator import generate
from yanpiao.fapiao.invoice import REVERSED
from yanpiao.registry.convert import invoice_rows, load_invoices
from yanpiao.registry.models import Invoice

END = datetime.date(2026, 6, 30)


def by_key(invoices) -> list:
    return sorted(invoices, key=lambda inv: (inv.code, inv.number))


@pytest.mark.django_db
def test_fill_writes_what_generate_yields():
    summary = fill(700, seed=3, end_date=END, batch_size=64)
    assert by_key(load_invoices(invoice_rows())) == by_key(generate(700, seed=3, end_date=END))
    assert summary.count == 700 == sum(summary.by_type.values()) == sum(summary.by_status.values())
    assert "700 demo invoices" in str(summary)


@pytest.mark.django_db
@pytest.mark.skipif("fork" not in __import__("multiprocessing").get_all_start_methods(), reason="needs fork")
def test_fill_generating_in_a_second_process_writes_the_same_invoices():
    summary = fill(2_500, seed=4, end_date=END, parallel=True)
    assert summary.process_seconds > 0
    assert by_key(load_invoices(invoice_rows())) == by_key(generate(2_500, seed=4, end_date=END))


@pytest.mark.django_db
def test_a_second_fill_continues_after_the_registered_numbers():
    fill(500, seed=1, end_date=END)
    fill(500, seed=1, end_date=END)
    fill(500, seed=2, end_date=END)
    keys = list(Invoice.objects.values_list("code", "number"))
    assert len(keys) == 1_500 == len(set(keys))


@pytest.mark.django_db
def test_red_letter_invoices_point_at_their_original_rows():
    fill(1_500, seed=8, end_date=END, batch_size=10)
    red_letters = Invoice.objects.filter(red_letter_of__isnull=False).select_related("red_letter_of")
    assert red_letters
    for row in red_letters:
        assert row.total < 0 and row.red_letter_of.status in REVERSED
        assert row.red_letter_of.id < row.id
