"""What a verifier submits, and the pure comparison of it with a registered invoice.

The key fields follow the national platform: 发票代码 + 发票号码 + 开票日期 + at least one of
amount (excl. tax), the 校验码 (last 6 digits or all 20) and total (incl. tax).  Every key
field supplied must match.  Nothing of the registered invoice is revealed until they do:
a ``mismatch`` names only the differing key fields.

>>> from decimal import Decimal
>>> import datetime
>>> from yanpiao.fapiao.invoice import Invoice, Party
>>> registered = Invoice(type="32", number="26427000000375586818",
...     issue_date=datetime.date(2026, 4, 30), seller=Party("京华"), buyer=Party("张三"),
...     amount=Decimal("10.09"), tax=Decimal("0.61"), total=Decimal("10.70"))
>>> q = Query.from_fields(number="2642700000037558681８", issue_date="2026-04-30", total="10.7")
>>> compare(q, registered).outcome
'authentic'
>>> r = compare(Query.from_fields(number=q.number, issue_date="2026-04-29", total="10.70"), registered)
>>> r.outcome, [d.field for d in r.differences], r.differences[0].registered
('mismatch', ['issue_date'], None)
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from yanpiao.fapiao.amount_words import fold_words
from yanpiao.fapiao.invoice import (
    Invoice,
    InvoiceFormatError,
    format_amount,
    normalize_text,
    parse_date,
    parse_decimal,
    to_json,
)

AUTHENTIC = "authentic"
TAMPERED = "tampered"
MISMATCH = "mismatch"
NOT_FOUND = "not_found"
VOIDED = "voided"
RED_FLUSHED = "red_flushed"
ABNORMAL = "abnormal"
INVALID = "invalid"
OUTCOMES = (AUTHENTIC, TAMPERED, MISMATCH, NOT_FOUND, VOIDED, RED_FLUSHED, ABNORMAL, INVALID)

# Outcomes after which the registered invoice may be shown: the key fields matched.
REVEALING = frozenset({AUTHENTIC, TAMPERED, VOIDED, RED_FLUSHED, ABNORMAL})

STATUS_OUTCOMES = {
    "voided": VOIDED,
    "red_flushed": RED_FLUSHED,
    "partially_red_flushed": RED_FLUSHED,
    "abnormal": ABNORMAL,
}

KEY_AMOUNT_FIELDS = ("amount", "check_code", "total")


@dataclass(frozen=True)
class Query:
    """The fields a verifier submits, normalised but not yet validated (all text).

    ``content`` is the invoice JSON read from a document, when there is one (possibly
    partial): once the key fields match, every field of it is compared with the registered
    invoice.
    """

    number: str = ""
    code: str = ""
    issue_date: str = ""
    amount: str = ""
    check_code: str = ""
    total: str = ""
    type: str = ""
    content: Mapping[str, Any] | None = field(default=None, compare=False)

    @classmethod
    def from_fields(cls, content: Mapping[str, Any] | None = None, **raw: str | None) -> Query:
        return cls(content=content, **{name: normalize_text(value) for name, value in raw.items()})

    @classmethod
    def from_invoice(cls, invoice: Invoice) -> Query:
        """All key fields of an invoice read from a document, with the document as content."""
        return cls(
            number=invoice.number,
            code=invoice.code,
            issue_date=invoice.issue_date.isoformat(),
            amount=format_amount(invoice.amount),
            check_code=invoice.check_code,
            total=format_amount(invoice.total),
            type=invoice.type,
            content=to_json(invoice),
        )

    @property
    def type_code(self) -> str:
        """The type as given, or inferred from the code and number."""
        from yanpiao.fapiao.code import infer_type

        return self.type or infer_type(self.code, self.number)

    def to_json(self) -> dict[str, str]:
        """The submitted key fields, as recorded in the history (empty ones left out)."""
        names = ("type", "code", "number", "issue_date", "amount", "check_code", "total")
        return {name: getattr(self, name) for name in names if getattr(self, name)}


@dataclass(frozen=True)
class Difference:
    """A field that differs.  ``registered`` is None where the value may not be revealed."""

    field: str
    submitted: Any = None
    registered: Any = None

    def to_json(self) -> dict[str, Any]:
        return {"field": self.field, "submitted": self.submitted, "registered": self.registered}


@dataclass(frozen=True)
class Comparison:
    outcome: str
    differences: tuple[Difference, ...] = ()

    @property
    def reveals_invoice(self) -> bool:
        return self.outcome in REVEALING


def check_code_matches(submitted: str, registered: str) -> bool:
    """The whole code (all 20 digits, or the 5 characters of a blockchain invoice) or its last 6.

    >>> check_code_matches("227858", "48987406241857227858")
    True
    >>> check_code_matches("48987406241857227858", "48987406241857227858")
    True
    >>> check_code_matches("227859", "48987406241857227858"), check_code_matches("227858", "")
    (False, False)
    >>> check_code_matches("27858", "48987406241857227858")
    False
    """
    if not registered:
        return False
    if len(submitted) == len(registered):
        return submitted.lower() == registered.lower()
    return len(submitted) == 6 and registered.lower().endswith(submitted.lower())


class KeyFields(Protocol):
    """What the comparison of the key fields needs of a registered invoice: its key fields and its
    status.  An :class:`~yanpiao.fapiao.invoice.Invoice` has them, and so has the set-wise
    registry read of a batch (``registry.lookup.find_many``)."""

    type: str
    issue_date: datetime.date
    amount: Decimal
    check_code: str
    total: Decimal
    status: str


def _key_differences(query: Query, registered: KeyFields) -> list[Difference]:
    differences = []
    if parse_date(query.issue_date) != registered.issue_date:
        differences.append(Difference("issue_date", query.issue_date))
    if query.amount and parse_decimal(query.amount, "amount") != registered.amount:
        differences.append(Difference("amount", query.amount))
    if query.check_code and not check_code_matches(query.check_code, registered.check_code):
        differences.append(Difference("check_code", query.check_code))
    if query.total and parse_decimal(query.total, "total") != registered.total:
        differences.append(Difference("total", query.total))
    if query.type and query.type != registered.type:
        differences.append(Difference("type", query.type))
    return differences


def _decimal_or_text(value: Any) -> Any:
    """A plain decimal (``"10.70"``, ``"13%"`` → 13) as a number, anything else as normalised text."""
    try:
        return parse_decimal(str(value).removesuffix("%"), "value", places=False)
    except InvoiceFormatError:
        return normalize_text(str(value))


def _rate(value: Any) -> Any:
    text = normalize_text(str(value))
    if text in ("exempt", "免税", "not_taxable", "不征税"):
        return {"免税": "exempt", "不征税": "not_taxable"}.get(text, text)
    number = _decimal_or_text(text)
    return number / 100 if isinstance(number, Decimal) and text.endswith("%") else number


def _day_or_text(value: Any) -> Any:
    try:
        return parse_date(str(value))
    except InvoiceFormatError:
        return normalize_text(str(value))


def _same(path: str, submitted: Any, registered: Any) -> bool:
    """Equal as the field's kind compares: amounts as decimals, 大写 folded, text normalised."""
    if registered is None:
        return False
    leaf = path.rsplit(".", 1)[-1]
    if leaf in ("amount", "tax", "total", "quantity", "unit_price"):
        return _decimal_or_text(submitted) == _decimal_or_text(registered)
    if leaf == "tax_rate":
        return _rate(submitted) == _rate(registered)
    if leaf == "total_in_words":
        return fold_words(normalize_text(submitted)) == fold_words(normalize_text(registered))
    if leaf == "issue_date":
        return _day_or_text(submitted) == _day_or_text(registered)
    return normalize_text(str(submitted)) == normalize_text(str(registered))


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Invoice JSON as ``{"seller.name": …, "items[0].amount": …}``.

    >>> flatten({"seller": {"name": "京华"}, "items": [{"tax": "0.61"}]})
    {'seller.name': '京华', 'items[0].tax': '0.61'}
    """
    flat: dict[str, Any] = {}
    for name, value in data.items():
        path = prefix + name
        if isinstance(value, Mapping):
            flat.update(flatten(value, path + "."))
        elif isinstance(value, list):
            for index, element in enumerate(value):
                flat.update(flatten(element, f"{path}[{index}]."))
        else:
            flat[path] = value
    return flat


def content_differences(submitted: Mapping[str, Any], registered: Invoice) -> list[Difference]:
    """Every field a document shows that differs from the registered invoice.

    ``submitted`` is invoice JSON as read from the document, possibly partial: absent or
    empty fields were not printed or not read, and are not compared; nor is ``status``,
    which no document carries.
    """
    theirs = to_json(registered)
    mine_flat, theirs_flat = flatten(submitted), flatten(theirs)
    differences = [
        Difference(path, value, theirs_flat.get(path))
        for path, value in mine_flat.items()
        if value not in ("", None) and path != "status" and not _same(path, value, theirs_flat.get(path))
    ]
    if submitted.get("items") and len(submitted["items"]) != len(theirs["items"]):
        differences.insert(0, Difference("items", len(submitted["items"]), len(theirs["items"])))
    return differences


def compare(query: Query, registered: Invoice) -> Comparison:
    """Compare a validated query with the registered invoice that has its code and number."""
    keys = compare_keys(query, registered)
    if keys.outcome == MISMATCH or not query.content:
        return keys
    differences = tuple(content_differences(query.content, registered))
    if not differences:
        return keys
    return Comparison(STATUS_OUTCOMES.get(registered.status, TAMPERED), differences)


def compare_keys(query: Query, registered: KeyFields) -> Comparison:
    """The comparison of a validated query's key fields with the registered invoice, then its
    status: what :func:`compare` answers for a query without content, from the key fields and
    status alone.

    >>> import datetime
    >>> from decimal import Decimal
    >>> from types import SimpleNamespace
    >>> registered = SimpleNamespace(type="10", issue_date=datetime.date(2026, 4, 30),
    ...     amount=Decimal("10.09"), check_code="48987406241857227858", total=Decimal("10.70"),
    ...     status="voided")
    >>> compare_keys(Query.from_fields(number="1", issue_date="2026-04-30", check_code="227858"), registered)
    Comparison(outcome='voided', differences=())
    """
    key_differences = _key_differences(query, registered)
    if key_differences:
        return Comparison(MISMATCH, tuple(key_differences))
    return Comparison(STATUS_OUTCOMES.get(registered.status, AUTHENTIC))
