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

import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from yanpiao.fapiao.amount_words import fold_words
from yanpiao.fapiao.invoice import Invoice, Item, Party, format_amount, parse_date, parse_decimal

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


def normalize_text(value: str | None) -> str:
    """Full-width characters to ASCII (NFKC), spaces removed: how codes and numbers are compared.

    >>> normalize_text(" ０１１ ００１ ６０５１１１ ")
    '011001605111'
    """
    if not value:
        return ""
    return "".join(unicodedata.normalize("NFKC", value).split())


@dataclass(frozen=True)
class Query:
    """The fields a verifier submits, normalised but not yet validated (all text).

    ``content`` is the whole invoice read from a document, when there is one: once the
    key fields match, every field of it is compared with the registered invoice.
    """

    number: str = ""
    code: str = ""
    issue_date: str = ""
    amount: str = ""
    check_code: str = ""
    total: str = ""
    type: str = ""
    content: Invoice | None = field(default=None, compare=False)

    @classmethod
    def from_fields(cls, content: Invoice | None = None, **raw: str | None) -> Query:
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
            content=invoice,
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


def _key_differences(query: Query, registered: Invoice) -> list[Difference]:
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


def _same(name: str, submitted: Any, registered: Any) -> bool:
    if isinstance(submitted, str) and isinstance(registered, str):
        if name.endswith("total_in_words"):
            return fold_words(submitted) == fold_words(registered)
        return normalize_text(submitted) == normalize_text(registered)
    return submitted == registered


def _shown(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


_CONTENT_FIELDS = (
    "type", "code", "number", "check_code", "machine_no", "amount", "tax", "total",
    "total_in_words", "remarks", "drawer", "payee", "reviewer",
)  # fmt: skip
_PARTY_FIELDS = ("name", "tax_id", "address", "phone", "bank", "account")
_ITEM_FIELDS = (
    "name",
    "tax_category_code",
    "spec",
    "unit",
    "quantity",
    "unit_price",
    "amount",
    "tax_rate",
    "tax",
)


def content_differences(submitted: Invoice, registered: Invoice) -> list[Difference]:
    """Every field the document shows (non-empty) that differs from the registered invoice."""
    pairs: list[tuple[str, Any, Any]] = []
    for name in _CONTENT_FIELDS:
        pairs.append((name, getattr(submitted, name), getattr(registered, name)))
    pairs.append(("issue_date", submitted.issue_date, registered.issue_date))
    for role in ("seller", "buyer"):
        mine: Party = getattr(submitted, role)
        theirs: Party = getattr(registered, role)
        pairs += [(f"{role}.{n}", getattr(mine, n), getattr(theirs, n)) for n in _PARTY_FIELDS]
    if submitted.items:
        if len(submitted.items) != len(registered.items):
            pairs.append(("items", len(submitted.items), len(registered.items)))
        for i, (mine_item, their_item) in enumerate(zip(submitted.items, registered.items, strict=False)):
            pairs += _item_pairs(i, mine_item, their_item)
    return [
        Difference(name, _shown(mine), _shown(theirs))
        for name, mine, theirs in pairs
        if mine not in ("", None) and not _same(name, mine, theirs)
    ]


def _item_pairs(index: int, mine: Item, theirs: Item) -> list[tuple[str, Any, Any]]:
    return [(f"items[{index}].{n}", getattr(mine, n), getattr(theirs, n)) for n in _ITEM_FIELDS]


def compare(query: Query, registered: Invoice) -> Comparison:
    """Compare a validated query with the registered invoice that has its code and number."""
    key_differences = _key_differences(query, registered)
    if key_differences:
        return Comparison(MISMATCH, tuple(key_differences))
    differences = tuple(content_differences(query.content, registered)) if query.content else ()
    if registered.status in STATUS_OUTCOMES:
        return Comparison(STATUS_OUTCOMES[registered.status], differences)
    if differences:
        return Comparison(TAMPERED, differences)
    return Comparison(AUTHENTIC)
