"""Tax arithmetic (docs/invoice-facts.md §7)."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yanpiao.fapiao import arithmetic
from yanpiao.fapiao.findings import ERROR
from yanpiao.fapiao.invoice import Item

from .conftest import build_invoice, line


def rules(findings):
    return [(f.rule, f.field) for f in findings]


@pytest.mark.parametrize(
    ("amount", "rate", "tax"),
    [
        ("283.02", "0.06", "16.98"),
        ("20000.00", "0.09", "1800.00"),
        ("2.50", "0.05", "0.13"),  # 0.125 rounds half up
        ("-2.50", "0.05", "-0.13"),  # and away from zero for red-letter lines
        ("10.09", "0.06", "0.61"),
        ("100.00", "0", "0.00"),
        ("100.00", "exempt", "0.00"),
        ("100.00", "not_taxable", "0.00"),
        ("100.00", Decimal("0.13"), "13.00"),
    ],
)
def test_line_tax(amount, rate, tax):
    assert arithmetic.line_tax(Decimal(amount), rate) == Decimal(tax)


def test_real_invoice_checks():
    invoice = build_invoice("10", lines=(line("283.02"),))
    assert invoice.total == Decimal("300.00")
    assert arithmetic.check(invoice) == []


def test_line_tax_within_tolerance():
    item = Item("*服务*费", Decimal("100.00"), "0.06", Decimal("6.06"))
    assert arithmetic.check(build_invoice(lines=(item,))) == []


def test_line_tax_beyond_tolerance():
    item = Item("*服务*费", Decimal("100.00"), "0.06", Decimal("6.07"))
    invoice = build_invoice(lines=(item,))
    findings = arithmetic.check(invoice)
    assert rules(findings) == [("arithmetic.line_tax", "items[0].tax")]
    assert findings[0].severity == ERROR
    assert "6.07" in findings[0].message and "6.00" in findings[0].message


def test_cumulative_drift():
    lines = tuple(Item(f"*服务*费{i}", Decimal("100.00"), "0.06", Decimal("6.05")) for i in range(26))
    findings = arithmetic.check(build_invoice(lines=lines))
    assert rules(findings) == [("arithmetic.cumulative_tax", "tax")]
    assert "1.30" in findings[0].message


def test_cumulative_drift_at_the_limit_passes():
    lines = tuple(Item(f"*服务*费{i}", Decimal("100.00"), "0.06", Decimal("6.05")) for i in range(25))
    lines += (Item("*服务*费", Decimal("100.00"), "0.06", Decimal("6.02")),)
    assert arithmetic.check(build_invoice(lines=lines)) == []


def test_sums_must_match_the_lines():
    invoice = build_invoice(lines=(line("100.00"), line("50.00")))
    findings = arithmetic.check(
        invoice.replace(amount=Decimal("150.01"), total=invoice.total + Decimal("0.01"))
    )
    assert rules(findings) == [("arithmetic.amount_sum", "amount")]
    findings = arithmetic.check(invoice.replace(tax=Decimal("9.01"), total=invoice.total + Decimal("0.01")))
    assert rules(findings) == [("arithmetic.tax_sum", "tax")]


def test_total_is_exactly_amount_plus_tax():
    invoice = build_invoice()
    findings = arithmetic.check(invoice.replace(total=invoice.total + Decimal("0.01")))
    assert rules(findings) == [("arithmetic.total", "total")]
    assert str(invoice.total) in findings[0].message


@pytest.mark.parametrize("rate", ["exempt", "not_taxable"])
def test_exempt_lines_carry_no_tax(rate):
    item = Item("*农产品*大米", Decimal("100.00"), rate, Decimal("0.01"))
    findings = arithmetic.check(build_invoice(lines=(item,)))
    assert rules(findings) == [("arithmetic.exempt_tax", "items[0].tax")]


def test_exempt_line_without_tax_passes():
    item = Item("*农产品*大米", Decimal("100.00"), "exempt", Decimal("0.00"))
    assert arithmetic.check(build_invoice(lines=(item,))) == []


def test_discount_line_and_red_letter_invoice():
    lines = (line("100.00"), line("-10.00"))
    assert arithmetic.check(build_invoice(lines=lines)) == []
    negative = (line("-283.02"),)
    assert arithmetic.check(build_invoice(lines=negative)) == []


def test_invoice_without_items_checks_the_total_only():
    invoice = build_invoice(
        lines=(), amount=Decimal("20000.00"), tax=Decimal("1800.00"), total=Decimal("21800.00")
    )
    assert arithmetic.check(invoice) == []
    assert rules(arithmetic.check(invoice.replace(total=Decimal("21800.01")))) == [
        ("arithmetic.total", "total")
    ]


def test_several_findings_at_once():
    item = Item("*服务*费", Decimal("100.00"), "0.06", Decimal("9.00"))
    invoice = build_invoice(lines=(item,), amount=Decimal("1.00"), tax=Decimal("1.00"), total=Decimal("5.00"))
    assert {rule for rule, _ in rules(arithmetic.check(invoice))} == {
        "arithmetic.line_tax",
        "arithmetic.cumulative_tax",
        "arithmetic.amount_sum",
        "arithmetic.tax_sum",
        "arithmetic.total",
    }


_RATES = st.sampled_from(
    ["0.13", "0.09", "0.06", "0.05", "0.03", "0.01", "0", "0.17", "0.16", "exempt", "not_taxable"]
)
_LINE_AMOUNTS = st.decimals(min_value=Decimal("-99999.99"), max_value=Decimal("999999.99"), places=2)


@given(st.lists(st.tuples(_LINE_AMOUNTS, _RATES), max_size=12))
def test_invoices_built_with_line_tax_pass(pairs):
    lines = tuple(line(str(amount), rate) for amount, rate in pairs)
    assert arithmetic.check(build_invoice(lines=lines)) == []


@given(_LINE_AMOUNTS, st.sampled_from(["0.13", "0.09", "0.06"]), st.integers(min_value=-200, max_value=200))
def test_line_rule_fires_exactly_beyond_six_cents(amount, rate, cents):
    expected = arithmetic.line_tax(amount, rate)
    item = Item("*服务*费", amount, rate, expected + Decimal(cents) / 100)
    fired = [f.rule for f in arithmetic.check(build_invoice(lines=(item,)))]
    assert ("arithmetic.line_tax" in fired) == (abs(cents) > 6)
