"""Tax arithmetic of an invoice: line taxes, sums, and 价税合计 = 金额 + 税额.

Per line, tax = round_half_up(金额 × 税率, 2); issuing systems accept the printed tax within
±0.06 of that per line and within 1.27 summed over the invoice.  合计金额 and 合计税额 are the
exact sums of the lines, and 价税合计 is exactly 合计金额 + 合计税额.  免税 (``exempt``) and
不征税 (``not_taxable``) lines carry no tax.  An invoice without lines is checked for the
total only.

>>> line_tax(Decimal("283.02"), Decimal("0.06"))
Decimal('16.98')
>>> line_tax(Decimal("100.00"), "exempt")
Decimal('0.00')
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from yanpiao.fapiao.findings import ERROR, Finding
from yanpiao.fapiao.invoice import CENT, SPECIAL_RATES, Invoice

LINE_TOLERANCE = Decimal("0.06")
INVOICE_TOLERANCE = Decimal("1.27")


def line_tax(amount: Decimal, rate: Decimal | str) -> Decimal:
    """The tax of a line: 金额 × 税率 rounded half up to cents (0 for 免税 / 不征税)."""
    if isinstance(rate, str):
        rate = Decimal(0) if rate in SPECIAL_RATES else Decimal(rate)
    return (amount * rate).quantize(CENT, rounding=ROUND_HALF_UP)


def _error(rule: str, field: str, message: str) -> Finding:
    return Finding(f"arithmetic.{rule}", field, ERROR, message)


def check(invoice: Invoice) -> list[Finding]:
    """Every arithmetic rule the invoice breaks, as error findings."""
    findings: list[Finding] = []
    drift = Decimal(0)
    for i, item in enumerate(invoice.items):
        where = f"items[{i}].tax"
        if item.tax_rate in SPECIAL_RATES:
            if item.tax != 0:
                label = "免税 (exempt)" if item.tax_rate == "exempt" else "不征税 (not taxable)"
                findings.append(
                    _error("exempt_tax", where, f"a {label} line carries no tax, but shows {item.tax}")
                )
            continue
        expected = line_tax(item.amount, item.rate)
        drift += item.tax - expected
        if abs(item.tax - expected) > LINE_TOLERANCE:
            findings.append(
                _error(
                    "line_tax",
                    where,
                    f"税额 (tax) {item.tax} is more than {LINE_TOLERANCE} away from "
                    f"{item.amount} × {item.tax_rate} = {expected}",
                )
            )
    if abs(drift) > INVOICE_TOLERANCE:
        findings.append(
            _error(
                "cumulative_tax",
                "tax",
                f"line taxes differ from 金额 × 税率 by {drift} in total; at most {INVOICE_TOLERANCE} is allowed",
            )
        )
    if invoice.items:
        amounts = sum((item.amount for item in invoice.items), Decimal(0))
        if amounts != invoice.amount:
            findings.append(
                _error(
                    "amount_sum",
                    "amount",
                    f"合计金额 (amount) {invoice.amount} is not the sum of the lines, {amounts}",
                )
            )
        taxes = sum((item.tax for item in invoice.items), Decimal(0))
        if taxes != invoice.tax:
            findings.append(
                _error("tax_sum", "tax", f"合计税额 (tax) {invoice.tax} is not the sum of the lines, {taxes}")
            )
    if invoice.total != invoice.amount + invoice.tax:
        findings.append(
            _error(
                "total",
                "total",
                f"价税合计 (total) {invoice.total} is not amount + tax = {invoice.amount + invoice.tax}",
            )
        )
    return findings


__all__ = ["INVOICE_TOLERANCE", "LINE_TOLERANCE", "check", "line_tax"]
