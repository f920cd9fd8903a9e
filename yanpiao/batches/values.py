"""A batch row's values as text: what a cell, a CSV field or a JSON value holds, as the core reads it.

Every value becomes text, trimmed, full-width characters folded to ASCII and spaces removed
(:func:`~yanpiao.fapiao.invoice.normalize_text`, as the typed form does).  Beyond that:

* **dates** — ``2025-03-01``, ``20250301``, ``2025/3/1``, ``2025.3.1``, ``2025年3月1日`` (with a
  time after it or not) and a spreadsheet's date cell become ``YYYY-MM-DD``.  A number is not a
  date: ``45717`` (a spreadsheet's day count) stays as it is;
* **codes and numbers a spreadsheet stored as numbers** get back the leading zeros it dropped,
  where the facts say one was there (docs/invoice-facts.md): an 11-digit 发票代码 was a 12-digit
  one starting with ``0`` (10-digit codes start with their region, never 0); a 发票号码 of fewer
  than 8 digits was an 8-digit one (20-digit 数电 numbers start with their year); a 校验码 of
  fewer than 6 digits was its last six (a blockchain invoice's 5-character code excepted), of 7
  to 19 digits all twenty; a one-digit type was two digits.  A number too large for a float to
  hold every digit (a 20-digit 数电 number saved as a number) keeps the form the float has,
  ``2.4112000000048542e+19``: its digits are lost, and verification says so;
* **amounts** stored as numbers are written without binary noise: ``3460.48`` is ``"3460.48"``,
  ``5000.0`` is ``"5000"`` (the core reads ``5000`` as ``5000.00``);
* **a type** written as its name (``增值税专用发票``, ``Special VAT invoice``) becomes its code.

Anything unreadable stays as it was typed: verification calls it invalid, with its reason.

>>> fields = row_fields(["code", "number", "issue_date", "amount", "check_code"],
...                     [11001605111.0, 1897389, "2025年3月1日", 3460.48, 27858])
>>> fields["code"], fields["number"], fields["issue_date"], fields["amount"], fields["check_code"]
('011001605111', '01897389', '2025-03-01', '3460.48', '027858')
>>> text_of("issue_date", "2025/3/1 10:00"), text_of("issue_date", "45717"), text_of("issue_date", "2025-02-30")
('2025-03-01', '45717', '2025-02-30')
"""

from __future__ import annotations

import datetime
import functools
import math
import re
import unicodedata
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from yanpiao.batches.rows import FIELDS
from yanpiao.fapiao import code as invoice_code
from yanpiao.fapiao.invoice import normalize_text
from yanpiao.fapiao.types import ENGLISH_NAMES, NAMES

EMPTY = dict.fromkeys(FIELDS, "")
IDENTIFIERS = frozenset({"type", "code", "number", "check_code"})
# Integers above this do not survive a float: their last digits are gone.
EXACT_FLOAT = 2**53
_PLACES = 30  # digits before or after the point written out in full

_DATE = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"|(\d{4})(\d{2})(\d{2})"
)
_TIME = re.compile(r"(?:\s+|T)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?")
_TYPE_OF_NAME = {
    normalize_text(name).casefold(): code for names in (NAMES, ENGLISH_NAMES) for code, name in names.items()
}


def row_fields(names: Sequence[str], values: Sequence[Any]) -> dict[str, str] | None:
    """The typed fields of a row from the values of its fields ``names`` (in
    :data:`~yanpiao.batches.rows.FIELDS` order: the code comes before the check code), a field
    without a value ""; None when no field holds anything (a blank row)."""
    fields = EMPTY.copy()
    try:
        joined = "".join(values)
    except TypeError:  # a number, a date…
        joined = None
    if joined is not None:
        fields.update(zip(names, values, strict=False))  # as long: strict costs a third more
        date = fields["issue_date"]
        rest, bare = joined, joined.isascii() and joined.isprintable() and " " not in joined  # _bare, inline
        if date and not bare:
            rest = joined.replace(date, "", 1)  # the other fields' characters, whichever copy goes
            bare = _bare(rest)
        if bare:
            # The usual CSV row: nothing to fold or trim but perhaps the date, read below.
            if date and not (len(date) == 10 and date[4] == date[7] == "-"):  # not YYYY-MM-DD already
                fields["issue_date"] = date = issue_date(date)
            if fields["type"]:
                fields["type"] = type_code(fields["type"])
            return fields if rest or date else None
        fields = EMPTY.copy()
    for name, value in zip(names, values, strict=True):
        if type(value) is str:
            if value:
                fields[name] = _TEXT[name](value)
        elif value is not None:
            fields[name] = cell_of(name, value, fields["code"])
    return fields if any(fields.values()) else None


def _bare(text: str) -> bool:
    """Printable ASCII without spaces: nothing to fold or trim."""
    return text.isascii() and text.isprintable() and " " not in text


def text_of(name: str, value: str) -> str:
    """A field typed as text."""
    return _TEXT[name](value)


def plain_text(value: str) -> str:
    """Text without spaces, full-width characters folded (``normalize_text``), quickly for plain ASCII."""
    return value if _bare(value) else normalize_text(value)


def type_code(value: str) -> str:
    """A type as its code: ``增值税专用发票`` and ``Special VAT invoice`` are ``01``."""
    text = plain_text(value)
    return _TYPE_OF_NAME.get(text.casefold(), text)


@functools.lru_cache(maxsize=4096)  # a batch holds few distinct dates: reading one costs 2 µs
def issue_date(value: str) -> str:
    """A date as ``YYYY-MM-DD`` when it reads as one, else the text as typed (trimmed, folded).

    >>> issue_date("２０２５年０３月０１日"), issue_date("2025.3.1"), issue_date("20250301"), issue_date("3/1/2025")
    ('2025-03-01', '2025-03-01', '2025-03-01', '3/1/2025')
    """
    text = value.strip() if value.isascii() else unicodedata.normalize("NFKC", value).strip()
    if len(text) == 10 and text[4] == "-" and text[7] == "-" and text[:4].isdigit():
        return text  # the usual form: checked by verification, as every date is
    stripped = _TIME.sub("", text, count=1) if ":" in text else text
    match = _DATE.fullmatch(stripped)
    if match is None:
        return plain_text(text)
    year, month, day = (int(part) for part in match.groups() if part is not None)
    try:
        return datetime.date(year, month, day).isoformat()
    except ValueError:
        return plain_text(text)


def cell_of(name: str, value: Any, code: str = "") -> str:
    """A field a spreadsheet or JSON stored as something else than text; ``code`` is the row's
    发票代码 (a blockchain invoice's 校验码 has 5 characters)."""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return plain_text(str(value))
    if name in IDENTIFIERS and _integral(value):
        return _padded(name, str(int(value)), code)
    if name == "issue_date":
        return _plain(value) if not _integral(value) else issue_date(str(int(value)))
    return _plain(value)


def _integral(value: int | float | Decimal) -> bool:
    """A whole number whose every digit is known (and not 10**999999, which JSON may hold)."""
    if isinstance(value, int):
        return True
    if isinstance(value, float):
        return value.is_integer() and abs(value) < EXACT_FLOAT
    return value.is_finite() and abs(value.adjusted()) <= _PLACES and value == value.to_integral_value()


def _plain(value: int | float | Decimal) -> str:
    """A number as plain decimal text: a float by its shortest form (3460.48, not 3460.4800000000001).

    A float whose digits are lost, no number at all (NaN) or a number of more than :data:`_PLACES`
    places keeps its short form (``2.4e+19``, ``nan``, ``1E+999``): verification says it is no amount.
    """
    if isinstance(value, float):
        if not math.isfinite(value) or abs(value) >= EXACT_FLOAT:
            return repr(value)
        if value.is_integer():
            return str(int(value))
        value = Decimal(repr(value))
    if isinstance(value, Decimal):
        return format(value, "f") if value.is_finite() and abs(value.adjusted()) <= _PLACES else str(value)
    return str(value)


def _padded(name: str, digits: str, code: str) -> str:
    """The digits of an identifier a spreadsheet stored as a number, with the zeros it dropped."""
    length = len(digits)
    if digits.startswith("-"):
        return digits
    if name == "type" and length < 2:
        return digits.zfill(2)
    if name == "code" and length == 11:
        return digits.zfill(12)
    if name == "number" and length < 8:
        return digits.zfill(8)
    if name == "check_code":
        if length < 6 and not _blockchain(code):
            return digits.zfill(6)
        if 6 < length < 20:
            return digits.zfill(20)
    return digits


def _blockchain(code: str) -> bool:
    return invoice_code.is_valid(code) and invoice_code.parse(code).is_blockchain


# How each field typed as text is read.
_TEXT = {name: plain_text for name in FIELDS} | {"type": type_code, "issue_date": issue_date}
