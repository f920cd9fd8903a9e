"""The invoice as data: dataclasses and the invoice JSON interchange format.

Every channel (import, export, extraction, the API) speaks the shape described in
``shared/domain/invoice-json.md``.  :func:`from_json` parses it strictly: unknown
fields, wrong types and malformed values raise :class:`InvoiceFormatError` naming
the field, so that a typo never passes silently.  Semantic rules (USCC check
digits, arithmetic, 大写) live in :mod:`yanpiao.fapiao.validation`.

>>> inv = from_json({
...     "type": "32", "number": "26427000000375586818", "issue_date": "2026-04-30",
...     "seller": {"name": "北京京华数据科技有限公司", "tax_id": "91110108MA01ABCD2H"},
...     "buyer": {"name": "张三"},
...     "items": [{"name": "*餐饮服务*餐费", "amount": "10.09", "tax_rate": "0.06", "tax": "0.61"}],
...     "amount": "10.09", "tax": "0.61", "total": "10.7"})
>>> inv.total
Decimal('10.70')
>>> to_json(inv)["total"]
'10.70'
>>> from_json({"type": "32", "numbr": "1"})
Traceback (most recent call last):
...
yanpiao.fapiao.invoice.InvoiceFormatError: numbr: unknown field
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from yanpiao.fapiao import types

CENT = Decimal("0.01")

STATUSES = ("normal", "voided", "red_flushed", "partially_red_flushed", "abnormal")
SPECIAL_RATES = ("exempt", "not_taxable")


class InvoiceFormatError(ValueError):
    """The data is not invoice JSON: a field is unknown, missing, or of the wrong form."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class InvoiceKey(NamedTuple):
    """What identifies an invoice: 发票代码 (empty for 数电票) and 发票号码.

    A named tuple: keys are hashed and compared by the hundred thousand in bulk imports.
    """

    code: str
    number: str

    def __str__(self) -> str:
        return f"{self.code}/{self.number}" if self.code else self.number


@dataclass(frozen=True)
class Party:
    """The seller (销售方) or the buyer (购买方)."""

    name: str = ""
    tax_id: str = ""
    address: str = ""
    phone: str = ""
    bank: str = ""
    account: str = ""


@dataclass(frozen=True)
class Item:
    """One line of the invoice.  ``tax_rate`` is a decimal string, ``exempt`` or ``not_taxable``."""

    name: str
    amount: Decimal
    tax_rate: str
    tax: Decimal
    tax_category_code: str = ""
    spec: str = ""
    unit: str = ""
    quantity: Decimal | None = None
    unit_price: Decimal | None = None

    @property
    def rate(self) -> Decimal:
        """The rate as a number; 免税 and 不征税 lines count as 0."""
        return Decimal(0) if self.tax_rate in SPECIAL_RATES else Decimal(self.tax_rate)


@dataclass(frozen=True)
class Invoice:
    """An invoice as printed, plus its registry ``status``."""

    type: str
    number: str
    issue_date: datetime.date
    seller: Party
    buyer: Party
    amount: Decimal
    tax: Decimal
    total: Decimal
    code: str = ""
    check_code: str = ""
    machine_no: str = ""
    items: tuple[Item, ...] = ()
    total_in_words: str = ""
    remarks: str = ""
    drawer: str = ""
    payee: str = ""
    reviewer: str = ""
    red_letter_of: InvoiceKey | None = None
    status: str = "normal"

    @property
    def key(self) -> InvoiceKey:
        return InvoiceKey(self.code, self.number)

    @property
    def is_red_letter(self) -> bool:
        return self.red_letter_of is not None

    def replace(self, **changes: Any) -> Invoice:
        return dataclasses.replace(self, **changes)


# --- parsing -------------------------------------------------------------------------------

_PARTY_FIELDS = tuple(f.name for f in dataclasses.fields(Party))
_ITEM_FIELDS = tuple(f.name for f in dataclasses.fields(Item))
_INVOICE_FIELDS = tuple(f.name for f in dataclasses.fields(Invoice))
_REQUIRED = ("type", "number", "issue_date", "seller", "buyer", "amount", "tax", "total")


def _check_keys(data: Any, allowed: tuple[str, ...], required: tuple[str, ...], where: str) -> None:
    if not isinstance(data, Mapping):
        raise InvoiceFormatError(where or "invoice", "must be a JSON object")
    for name in data:
        if name not in allowed:
            raise InvoiceFormatError(f"{where}{name}", "unknown field")
    for name in required:
        if name not in data:
            raise InvoiceFormatError(f"{where}{name}", "required field is missing")


def _text(data: Mapping, name: str, where: str = "") -> str:
    value = data.get(name)
    if value.__class__ is str:
        return value.strip()
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvoiceFormatError(f"{where}{name}", f"must be a string, not {type(value).__name__}")
    return value.strip()


def parse_decimal(value: Any, field_name: str, places: bool = True) -> Decimal:
    """Parse a decimal string (``"57"``, ``"6.2"``, ``"-10.70"``); with ``places`` round to cents.

    Floats are refused: invoice amounts must never pass through binary floating point.

    >>> parse_decimal("57", "amount")
    Decimal('57.00')
    >>> parse_decimal("1.005", "amount")
    Traceback (most recent call last):
    ...
    yanpiao.fapiao.invoice.InvoiceFormatError: amount: more than two decimal places: '1.005'
    >>> parse_decimal("￥1,234.5", "total")
    Decimal('1234.50')
    """
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvoiceFormatError(field_name, f"must be a decimal string, not {type(value).__name__}")
    try:
        number = Decimal(value)  # the usual case; Decimal ignores surrounding whitespace
    except InvalidOperation:
        text = str(value).strip().replace(",", "").replace("¥", "").replace("￥", "")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise InvoiceFormatError(field_name, f"not a decimal number: {value!r}") from None
    if not number.is_finite():
        raise InvoiceFormatError(field_name, f"not a decimal number: {value!r}")
    if not places:
        return number
    if abs(number) >= 10**14:
        raise InvoiceFormatError(field_name, f"too large for an invoice amount: {value!r}")
    cents = number.quantize(CENT)
    if cents != number:
        raise InvoiceFormatError(field_name, f"more than two decimal places: {value!r}")
    return cents


def parse_date(value: Any, field_name: str = "issue_date") -> datetime.date:
    """Parse ``YYYY-MM-DD`` (also ``YYYYMMDD`` and ``YYYY年MM月DD日``, as printed on invoices).

    >>> parse_date("20240514")
    datetime.date(2024, 5, 14)
    >>> parse_date("2025年03月07日")
    datetime.date(2025, 3, 7)
    """
    if not isinstance(value, str):
        raise InvoiceFormatError(field_name, f"must be a date string, not {type(value).__name__}")
    text = value.strip()
    if len(text) == 10 and text[4] == "-":
        try:
            return datetime.date.fromisoformat(text)
        except ValueError:
            pass
    for fmt in ("%Y-%m-%d", "%Y%m%d", "%Y年%m月%d日"):
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise InvoiceFormatError(field_name, f"not a date (YYYY-MM-DD): {value!r}")


def _within(where: str, parse, data: Any):
    """``parse(data)``, with ``where`` (``seller``, ``items[2]``) prefixed to the field of an error."""
    if not isinstance(data, Mapping):
        raise InvoiceFormatError(where, "must be a JSON object")
    try:
        return parse(data)
    except InvoiceFormatError as exc:
        raise InvoiceFormatError(f"{where}.{exc.field}", exc.message) from None


def _parse_party(data: Any) -> Party:
    _check_keys(data, _PARTY_FIELDS, (), "")
    return Party(*[_text(data, name) for name in _PARTY_FIELDS])


def _parse_rate(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise InvoiceFormatError(where, f"must be a string, not {type(value).__name__}")
    text = value.strip()
    if text in SPECIAL_RATES:
        return text
    if text.endswith("%"):
        rate = parse_decimal(text[:-1], where, places=False) / 100
    else:
        rate = parse_decimal(text, where, places=False)
    if not 0 <= rate < 1:
        raise InvoiceFormatError(where, f"a tax rate is a fraction between 0 and 1: {value!r}")
    return format(rate.normalize(), "f") if rate else "0"


def _optional_decimal(data: Mapping, name: str) -> Decimal | None:
    value = data.get(name)
    return None if value is None or value == "" else parse_decimal(value, name, places=False)


def _parse_item(data: Any) -> Item:
    _check_keys(data, _ITEM_FIELDS, ("name", "amount", "tax_rate", "tax"), "")
    return Item(
        _text(data, "name"),
        parse_decimal(data["amount"], "amount"),
        _parse_rate(data["tax_rate"], "tax_rate"),
        parse_decimal(data["tax"], "tax"),
        _text(data, "tax_category_code"),
        _text(data, "spec"),
        _text(data, "unit"),
        _optional_decimal(data, "quantity"),
        _optional_decimal(data, "unit_price"),
    )


def from_json(data: Any) -> Invoice:
    """Build an :class:`Invoice` from parsed invoice JSON, strictly."""
    _check_keys(data, _INVOICE_FIELDS, _REQUIRED, "")
    type_code = _text(data, "type")
    if type_code not in types.NAMES:
        raise InvoiceFormatError("type", f"unknown invoice type {type_code!r}")
    items = data.get("items", [])
    if not isinstance(items, list):
        raise InvoiceFormatError("items", "must be a list")
    red = data.get("red_letter_of")
    if red is not None:
        _check_keys(red, ("code", "number"), ("number",), "red_letter_of.")
        red = InvoiceKey(_text(red, "code", "red_letter_of."), _text(red, "number", "red_letter_of."))
    status = _text(data, "status") or "normal"
    if status not in STATUSES:
        raise InvoiceFormatError("status", f"must be one of {', '.join(STATUSES)}")
    return Invoice(
        type=type_code,
        code=_text(data, "code"),
        number=_text(data, "number"),
        issue_date=parse_date(data["issue_date"]),
        check_code=_text(data, "check_code"),
        machine_no=_text(data, "machine_no"),
        seller=_within("seller", _parse_party, data["seller"]),
        buyer=_within("buyer", _parse_party, data["buyer"]),
        items=tuple(_within(f"items[{i}]", _parse_item, item) for i, item in enumerate(items)),
        amount=parse_decimal(data["amount"], "amount"),
        tax=parse_decimal(data["tax"], "tax"),
        total=parse_decimal(data["total"], "total"),
        total_in_words=_text(data, "total_in_words"),
        remarks=_text(data, "remarks"),
        drawer=_text(data, "drawer"),
        payee=_text(data, "payee"),
        reviewer=_text(data, "reviewer"),
        red_letter_of=red,
        status=status,
    )


# --- writing -------------------------------------------------------------------------------


def format_amount(value: Decimal) -> str:
    """Two decimal places, as invoice JSON writes every amount.

    >>> format_amount(Decimal("57"))
    '57.00'
    """
    return format(value.quantize(CENT), "f")


def _plain(value: Decimal | None) -> str:
    return "" if value is None else format(value, "f")


def _party_json(party: Party) -> dict[str, str]:
    # Not dataclasses.asdict: it deep-copies every value, a third of the cost of a content hash.
    return {name: getattr(party, name) for name in _PARTY_FIELDS}


def to_json(invoice: Invoice) -> dict[str, Any]:
    """The invoice as a JSON-ready dict in invoice JSON field order."""
    return {
        "type": invoice.type,
        "code": invoice.code,
        "number": invoice.number,
        "issue_date": invoice.issue_date.isoformat(),
        "check_code": invoice.check_code,
        "machine_no": invoice.machine_no,
        "seller": _party_json(invoice.seller),
        "buyer": _party_json(invoice.buyer),
        "items": [
            {
                "name": item.name,
                "tax_category_code": item.tax_category_code,
                "spec": item.spec,
                "unit": item.unit,
                "quantity": _plain(item.quantity),
                "unit_price": _plain(item.unit_price),
                "amount": format_amount(item.amount),
                "tax_rate": item.tax_rate,
                "tax": format_amount(item.tax),
            }
            for item in invoice.items
        ],
        "amount": format_amount(invoice.amount),
        "tax": format_amount(invoice.tax),
        "total": format_amount(invoice.total),
        "total_in_words": invoice.total_in_words,
        "remarks": invoice.remarks,
        "drawer": invoice.drawer,
        "payee": invoice.payee,
        "reviewer": invoice.reviewer,
        "red_letter_of": (
            {"code": invoice.red_letter_of.code, "number": invoice.red_letter_of.number}
            if invoice.red_letter_of
            else None
        ),
        "status": invoice.status,
    }


__all__ = [
    "CENT",
    "STATUSES",
    "Invoice",
    "InvoiceFormatError",
    "InvoiceKey",
    "Item",
    "Party",
    "format_amount",
    "from_json",
    "parse_date",
    "parse_decimal",
    "to_json",
]
