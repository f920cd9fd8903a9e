"""The invoice as data: its fields, declared once, and the invoice JSON interchange format.

The dataclasses below are the one declaration of the invoice's fields.  Each field carries a
:class:`FieldSpec` (its label as printed, its kind, whether it is personal data or a secret),
and everything that handles invoices field by field derives from them: parsing and writing
invoice JSON here, the registry's columns, SQL column lists and row mapping, encryption at
rest, and the masking of the verification history.  Adding a field means declaring it here
and adding its column to the registry's model (plus the migration Django writes).

:func:`from_json` parses invoice JSON (``docs/invoice-json.md``) strictly: unknown fields,
wrong types and malformed values raise :class:`InvoiceFormatError` naming the field, so that a
typo never passes silently.  Semantic rules (USCC check digits, arithmetic, 大写) live in
:mod:`yanpiao.fapiao.validation`.

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
>>> [spec.name for spec in specs(Party) if spec.mask]
['name', 'tax_id', 'address', 'phone', 'bank', 'account']
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from yanpiao.fapiao import types
from yanpiao.fapiao.text import compact

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal(10) ** 14  # no invoice amount reaches this: 100 trillion yuan

STATUSES = ("normal", "voided", "red_flushed", "partially_red_flushed", "abnormal")
REVERSED = frozenset({"red_flushed", "partially_red_flushed"})  # by red-letter invoices, wholly or in part
SPECIAL_RATES = ("exempt", "not_taxable")

# Kinds of field: how a value is parsed, written and stored.
TEXT = "text"  # a string, stripped
IDENTIFIER = "identifier"  # a code, number or tax ID: ASCII, without the spaces that group it in print
AMOUNT = "amount"  # a Decimal with two places (money)
QUANTITY = "quantity"  # a Decimal as printed, or None (quantity, unit price)
RATE = "rate"  # a tax rate: a decimal string, "exempt" or "not_taxable"
DATE = "date"  # a datetime.date
PARTY = "party"  # a Party
ITEMS = "items"  # a tuple of Item
KEY = "key"  # an InvoiceKey or None (the invoice a red-letter invoice reverses)
SPEC = "yanpiao"  # the metadata key of a field's FieldSpec


@dataclass(frozen=True)
class FieldSpec:
    """What every layer needs to know about one field, declared beside the field.

    ``mask`` is set for personal data and secrets: such a field is encrypted at rest and kept
    masked in the verification history; its value names how it is masked (the kinds of
    :func:`yanpiao.access.masking.mask`).  ``choices`` are the values a text field may take.
    """

    label: str  # as printed on the invoice
    meaning: str  # in English, for messages
    kind: str = TEXT
    mask: str = ""
    choices: tuple[str, ...] = ()
    name: str = ""  # the field's name, filled in by specs()
    required: bool = False  # filled in by specs(): the field has no default


def about(label: str, meaning: str, kind: str = TEXT, mask: str = "", choices: tuple[str, ...] = ()) -> dict:
    """The metadata of a dataclass field: ``field(metadata=about(...))``."""
    return {SPEC: FieldSpec(label, meaning, kind, mask, choices)}


class InvoiceFormatError(ValueError):
    """The data is not invoice JSON: a field is unknown, missing, or of the wrong form."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class NoSuchDay(InvoiceFormatError):
    """A date written in a known form whose day does not exist (``2025-02-30``)."""


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
    """The seller (销售方) or the buyer (购买方): every printed field is personal data."""

    name: str = field(default="", metadata=about("名称", "name", mask="name"))
    tax_id: str = field(default="", metadata=about("纳税人识别号", "tax ID", IDENTIFIER, mask="tax_id"))
    address: str = field(default="", metadata=about("地址", "address", mask="address"))
    phone: str = field(default="", metadata=about("电话", "phone", mask="phone"))
    bank: str = field(default="", metadata=about("开户行", "bank", mask="name"))
    account: str = field(default="", metadata=about("账号", "bank account", mask="account"))


@dataclass(frozen=True)
class Item:
    """One line of the invoice.  ``tax_rate`` is a decimal string, ``exempt`` or ``not_taxable``."""

    name: str = field(metadata=about("项目名称", "item name"))
    amount: Decimal = field(metadata=about("金额", "amount", AMOUNT))
    tax_rate: str = field(metadata=about("税率", "tax rate", RATE))
    tax: Decimal = field(metadata=about("税额", "tax", AMOUNT))
    tax_category_code: str = field(
        default="", metadata=about("税收分类编码", "tax category code", IDENTIFIER)
    )
    spec: str = field(default="", metadata=about("规格型号", "specification"))
    unit: str = field(default="", metadata=about("单位", "unit"))
    quantity: Decimal | None = field(default=None, metadata=about("数量", "quantity", QUANTITY))
    unit_price: Decimal | None = field(default=None, metadata=about("单价", "unit price", QUANTITY))

    @property
    def rate(self) -> Decimal:
        """The rate as a number; 免税 and 不征税 lines count as 0."""
        return Decimal(0) if self.tax_rate in SPECIAL_RATES else Decimal(self.tax_rate)


@dataclass(frozen=True, kw_only=True)
class Invoice:
    """An invoice as printed, plus its registry ``status``."""

    type: str = field(metadata=about("票种", "invoice type", choices=tuple(types.NAMES)))
    code: str = field(default="", metadata=about("发票代码", "invoice code", IDENTIFIER))
    number: str = field(metadata=about("发票号码", "invoice number", IDENTIFIER))
    issue_date: datetime.date = field(metadata=about("开票日期", "issue date", DATE))
    check_code: str = field(default="", metadata=about("校验码", "check code", IDENTIFIER, mask="secret"))
    machine_no: str = field(default="", metadata=about("机器编号", "machine number", IDENTIFIER))
    seller: Party = field(metadata=about("销售方", "seller", PARTY))
    buyer: Party = field(metadata=about("购买方", "buyer", PARTY))
    items: tuple[Item, ...] = field(default=(), metadata=about("项目", "items", ITEMS))
    amount: Decimal = field(metadata=about("合计金额", "amount excl. tax", AMOUNT))
    tax: Decimal = field(metadata=about("合计税额", "tax", AMOUNT))
    total: Decimal = field(metadata=about("价税合计", "total incl. tax", AMOUNT))
    total_in_words: str = field(default="", metadata=about("价税合计（大写）", "total in words"))
    remarks: str = field(default="", metadata=about("备注", "remarks"))
    drawer: str = field(default="", metadata=about("开票人", "drawer", mask="name"))
    payee: str = field(default="", metadata=about("收款人", "payee", mask="name"))
    reviewer: str = field(default="", metadata=about("复核", "reviewer", mask="name"))
    red_letter_of: InvoiceKey | None = field(
        default=None, metadata=about("被红冲发票", "reversed invoice", KEY)
    )
    status: str = field(default="normal", metadata=about("状态", "status", choices=STATUSES))

    @property
    def key(self) -> InvoiceKey:
        return InvoiceKey(self.code, self.number)

    @property
    def is_red_letter(self) -> bool:
        return self.red_letter_of is not None

    def replace(self, **changes: Any) -> Invoice:
        return dataclasses.replace(self, **changes)


_SPECS: dict[type, tuple[FieldSpec, ...]] = {}


def specs(cls) -> tuple[FieldSpec, ...]:
    """The FieldSpecs of a dataclass's fields (Invoice, Party, Item), in invoice JSON's order."""
    found = _SPECS.get(cls)
    if found is None:
        found = _SPECS[cls] = tuple(
            dataclasses.replace(
                f.metadata[SPEC],
                name=f.name,
                required=f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING,
            )
            for f in dataclasses.fields(cls)
        )
    return found


@functools.lru_cache(maxsize=4096)
def spec_of(path: str) -> FieldSpec | None:
    """The FieldSpec of the field at an invoice-JSON path (``seller.tax_id``, ``items[0].amount``,
    ``items[].amount``), or None when there is no such field."""
    head, _, leaf = path.partition(".")
    cls = Invoice
    if leaf:
        cls = Item if head.startswith("items[") else Party
        head = leaf
    return next((s for s in specs(cls) if s.name == head), None)


def mask_of(path: str) -> str:
    """How the field at an invoice-JSON path is masked, or "" if it is kept in clear.

    >>> mask_of("check_code"), mask_of("buyer.name"), mask_of("items[0].name"), mask_of("total")
    ('secret', 'name', '', '')
    """
    found = spec_of(path)
    return found.mask if found else ""


def normalize_text(value: str | None) -> str:
    """Full-width characters to ASCII (NFKC), spaces removed: how identifiers (codes, numbers,
    tax IDs) are stored and compared.

    >>> normalize_text(" ０１１ ００１ ６０５１１１ ")
    '011001605111'
    """
    return compact(value)


# --- parsing -------------------------------------------------------------------------------


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


_PLAIN_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_SHOWN = 40  # characters of a refused value quoted in a message


def shown(value: Any) -> str:
    """``repr(value)``, cut short: a message quotes what was refused, not a megabyte of it."""
    text = repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def parse_decimal(value: Any, field_name: str, places: bool = True) -> Decimal:
    """Parse a plain decimal (``"57"``, ``"6.2"``, ``"-10.70"``); with ``places`` round to cents.

    Floats are refused: invoice amounts must never pass through binary floating point.  So is
    anything but ASCII digits with an optional sign and point (thousands commas and a yuan sign
    are allowed): no exponent, no NaN or Infinity, no underscores, no other scripts' digits.
    Every number must be below :data:`MAX_AMOUNT` in size.

    >>> parse_decimal("57", "amount")
    Decimal('57.00')
    >>> parse_decimal("1.005", "amount")
    Traceback (most recent call last):
    ...
    yanpiao.fapiao.invoice.InvoiceFormatError: amount: more than two decimal places: '1.005'
    >>> parse_decimal("￥1,234.5", "total")
    Decimal('1234.50')
    >>> parse_decimal("1E+999999999", "total")
    Traceback (most recent call last):
    ...
    yanpiao.fapiao.invoice.InvoiceFormatError: total: not a decimal number (digits and a point only): '1E+999999999'
    """
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvoiceFormatError(field_name, f"must be a decimal string, not {type(value).__name__}")
    if isinstance(value, int):
        number = Decimal(value)
    else:
        text = value.strip()
        if not _PLAIN_DECIMAL.fullmatch(text):
            text = text.replace(",", "").replace("¥", "").replace("￥", "")
            if not _PLAIN_DECIMAL.fullmatch(text):
                raise InvoiceFormatError(
                    field_name, f"not a decimal number (digits and a point only): {shown(value)}"
                )
        number = Decimal(text)
    if abs(number) >= MAX_AMOUNT:
        raise InvoiceFormatError(field_name, f"too large for an invoice: {shown(value)}")
    if not places:
        return number
    cents = number.quantize(CENT)
    if cents != number:
        raise InvoiceFormatError(field_name, f"more than two decimal places: {shown(value)}")
    return cents


def parse_date(value: Any, field_name: str = "issue_date") -> datetime.date:
    """Parse ``YYYY-MM-DD`` (also ``YYYYMMDD`` and ``YYYY年MM月DD日``, as printed on invoices).

    >>> parse_date("20240514")
    datetime.date(2024, 5, 14)
    >>> parse_date("2025年03月07日")
    datetime.date(2025, 3, 7)
    >>> parse_date("2025-02-30")
    Traceback (most recent call last):
    ...
    yanpiao.fapiao.invoice.NoSuchDay: issue_date: no such day: '2025-02-30' (the month has no such day)
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
    if _DATE_SHAPE.fullmatch(text):
        raise NoSuchDay(field_name, f"no such day: {shown(value)} ({_why_no_such_day(text)})")
    raise InvoiceFormatError(field_name, f"not a date (YYYY-MM-DD): {shown(value)}")


_DATE_SHAPE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})|(\d{4})(\d{2})(\d{2})|(\d{4})年(\d{1,2})月(\d{1,2})日")


def _why_no_such_day(text: str) -> str:
    year, month, _ = (int(part) for part in _DATE_SHAPE.fullmatch(text).groups() if part)
    if not 1 <= month <= 12:
        return "there is no such month"
    return "the month has no such day" if year >= 1 else "there is no year 0"


def _within(where: str, parse, data: Any):
    """``parse(data)``, with ``where`` (``seller``, ``items[2]``) prefixed to the field of an error."""
    if not isinstance(data, Mapping):
        raise InvoiceFormatError(where, "must be a JSON object")
    try:
        return parse(data)
    except InvoiceFormatError as exc:
        raise InvoiceFormatError(f"{where}.{exc.field}", exc.message) from None


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
        raise InvoiceFormatError(where, f"a tax rate is a fraction between 0 and 1: {shown(value)}")
    return format(rate.normalize(), "f") if rate else "0"


def _text_parser(spec: FieldSpec) -> Callable[[Any], str]:
    name, choices = spec.name, spec.choices

    def parse(value: Any) -> str:
        text = value.strip() if value.__class__ is str else _text({name: value}, name)
        if choices and text not in choices:
            if not text and not spec.required:
                return choices[0]
            raise InvoiceFormatError(
                name, f"unknown {spec.meaning} {text!r}: must be one of {', '.join(choices)}"
            )
        return text

    return parse


def _identifier_parser(spec: FieldSpec) -> Callable[[Any], str]:
    name = spec.name
    return lambda value: (
        normalize_text(value) if value.__class__ is str else normalize_text(_text({name: value}, name))
    )


def _quantity_parser(spec: FieldSpec) -> Callable[[Any], Decimal | None]:
    return lambda value: (
        None if value is None or value == "" else parse_decimal(value, spec.name, places=False)
    )


def _items_parser(spec: FieldSpec) -> Callable[[Any], tuple[Item, ...]]:
    parse_item = _parser(Item)

    def parse(items: Any) -> tuple[Item, ...]:
        if items is None:
            return ()
        if not isinstance(items, list):
            raise InvoiceFormatError(spec.name, "must be a list")
        return tuple(_within(f"{spec.name}[{i}]", parse_item, item) for i, item in enumerate(items))

    return parse


def _key_parser(spec: FieldSpec) -> Callable[[Any], InvoiceKey | None]:
    where = f"{spec.name}."

    def parse(key: Any) -> InvoiceKey | None:
        if key is None:
            return None
        _check_keys(key, InvoiceKey._fields, ("number",), where)
        return InvoiceKey(*(normalize_text(_text(key, name, where)) for name in InvoiceKey._fields))

    return parse


def _value_parser(spec: FieldSpec) -> Callable[[Any], Any]:
    """How a value of the field is parsed (given ``data.get(name)``; required fields are present)."""
    name = spec.name
    if spec.kind == AMOUNT:
        return lambda value: parse_decimal(value, name)
    if spec.kind == QUANTITY:
        return _quantity_parser(spec)
    if spec.kind == RATE:
        return lambda value: _parse_rate(value, name)
    if spec.kind == DATE:
        return lambda value: parse_date(value, name)
    if spec.kind == PARTY:
        parse_party = _parser(Party)
        return lambda value: _within(name, parse_party, value)
    if spec.kind == ITEMS:
        return _items_parser(spec)
    if spec.kind == KEY:
        return _key_parser(spec)
    if spec.kind == IDENTIFIER:
        return _identifier_parser(spec)
    return _text_parser(spec)


_PARSER_CACHE: dict[type, Callable[[Any], Any]] = {}


def _parser(cls) -> Callable[[Any], Any]:
    """A strict parser of the invoice JSON of ``cls`` (Invoice, Party or Item), built from its fields."""
    found = _PARSER_CACHE.get(cls)
    if found is None:
        fields = specs(cls)
        names = tuple(spec.name for spec in fields)
        required = tuple(spec.name for spec in fields if spec.required)
        steps = tuple((spec.name, _value_parser(spec)) for spec in fields)

        def found(data: Any) -> Any:
            _check_keys(data, names, required, "")
            return cls(**{name: parse(data.get(name)) for name, parse in steps})

        _PARSER_CACHE[cls] = found
    return found


def from_json(data: Any) -> Invoice:
    """Build an :class:`Invoice` from parsed invoice JSON, strictly."""
    return _parser(Invoice)(data)


# --- writing -------------------------------------------------------------------------------


def format_amount(value: Decimal) -> str:
    """Two decimal places, as invoice JSON writes every amount.

    >>> format_amount(Decimal("57"))
    '57.00'
    """
    return format(value.quantize(CENT), "f")


def _plain(value: Decimal | None) -> str:
    return "" if value is None else format(value, "f")


def _key_json(key: InvoiceKey | None) -> dict[str, str] | None:
    return None if key is None else {"code": key.code, "number": key.number}


def _write_kind(kind: str) -> Callable[[Any], Any] | None:
    """How a value of the kind is written; None: as it is."""
    if kind == AMOUNT:
        return format_amount
    if kind == QUANTITY:
        return _plain
    if kind == DATE:
        return datetime.date.isoformat
    if kind == PARTY:
        return _writer(Party)
    if kind == ITEMS:
        write_item = _writer(Item)
        return lambda items: [write_item(item) for item in items]
    if kind == KEY:
        return _key_json
    return None


_WRITER_CACHE: dict[type, Callable[[Any], dict[str, Any]]] = {}


def _writer(cls) -> Callable[[Any], dict[str, Any]]:
    """Writes an Invoice, Party or Item as invoice JSON (not dataclasses.asdict: it deep-copies
    every value, a third of the cost of a content hash)."""
    found = _WRITER_CACHE.get(cls)
    if found is None:
        names = tuple(spec.name for spec in specs(cls))
        writers = ((spec.name, _write_kind(spec.kind)) for spec in specs(cls))
        converted = tuple((name, write) for name, write in writers if write is not None)

        def found(obj: Any) -> dict[str, Any]:
            data = {name: getattr(obj, name) for name in names}
            for name, write in converted:
                data[name] = write(data[name])
            return data

        _WRITER_CACHE[cls] = found
    return found


def to_json(invoice: Invoice) -> dict[str, Any]:
    """The invoice as a JSON-ready dict in invoice JSON field order."""
    return _writer(Invoice)(invoice)


__all__ = [
    "CENT",
    "FieldSpec",
    "mask_of",
    "normalize_text",
    "spec_of",
    "specs",
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
