"""Builders for the fapiao tests (imported by them): plain invoices, no Django, no database."""

import datetime
from decimal import Decimal

from yanpiao.fapiao import amount_words, arithmetic
from yanpiao.fapiao.invoice import Invoice, Item, Party

SELLER = Party(name="深圳市腾讯计算机系统有限公司", tax_id="91440300708461136T")
BUYER = Party(name="上海申联贸易有限公司", tax_id="913101150934986600")

KEYS = {
    "01": ("4300171130", "02550485", ""),
    "04": ("1100174320", "40184419", "82190984023325258452"),
    "10": ("044031700111", "28477743", "48987406241857227858"),
    "11": ("011001700106", "12345678", "61052145051968576568"),
    "14": ("011001700112", "12345679", "61052145051968576569"),
    "20": ("065122100313", "12345680", "61052145051968576570"),
    "31": ("", "26442000004359167806", ""),
    "32": ("", "26427000000375586818", ""),
}


def line(amount: str, rate: str = "0.06", name: str = "*信息技术服务*微信认证服务费") -> Item:
    value = Decimal(amount)
    return Item(name=name, amount=value, tax_rate=rate, tax=arithmetic.line_tax(value, rate))


def build_invoice(type: str = "32", lines: tuple[Item, ...] | None = None, **fields) -> Invoice:
    """A valid invoice of ``type`` whose sums and words agree; ``fields`` override anything."""
    code, number, check_code = KEYS[type]
    lines = (line("283.02"), line("100.00", "0.13", "*计算机配套产品*鼠标")) if lines is None else lines
    amount = sum((i.amount for i in lines), Decimal("0.00"))
    tax = sum((i.tax for i in lines), Decimal("0.00"))
    data = {
        "type": type,
        "code": code,
        "number": number,
        "check_code": check_code,
        "issue_date": datetime.date(2025, 3, 7),
        "seller": SELLER,
        "buyer": BUYER,
        "items": lines,
        "amount": amount,
        "tax": tax,
        "total": amount + tax,
        "total_in_words": amount_words.to_words(amount + tax),
    }
    data.update(fields)
    return Invoice(**data)
