"""发票代码 (invoice code): the 10- or 12-digit code of pre-数电 invoices.

数电票 (types 31/32) have no code.  A 10-digit code (paper 专票/普票) reads region (4),
year (2), batch (1), kind (1), copies (1), amount version (1).  A 12-digit code starting
with ``0`` (e-invoices, rolls, folded 普票) reads ``0``, region (4), year (2), batch (3),
kind (2).  A 12-digit code starting with ``1`` is a blockchain invoice (深圳, 云南).

:func:`validate` only checks the form (digits, length) and raises ``stdnum.exceptions``.
Codes outside the known scheme exist on real invoices, so :func:`scheme_warnings`
reports them as warnings and never rejects.

>>> validate(" 1100 1743 20 ")
'1100174320'
>>> info = parse("1100174320")
>>> info.region, info.year, info.batch, info.kind, info.copies
('1100', 2017, '4', '04', 2)
>>> parse("065122100313").region, parse("065122100313").kind
('6500', '20')
>>> parse("144031909110").is_blockchain
True
>>> validate("050003523456")
'050003523456'
>>> import datetime
>>> scheme_warnings("050003523456", today=datetime.date(2026, 5, 1))[0]
'发票代码 050003523456: year 2035 is in the future'
>>> infer_type("011001605111", "12345678"), infer_type("", "26427000000375586818")
('10', '')
>>> validate("11001743")
Traceback (most recent call last):
...
stdnum.exceptions.InvalidLength: 发票代码 (invoice code) must have 10 or 12 digits, got 8
"""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass

from stdnum.exceptions import InvalidFormat, InvalidLength, ValidationError

from yanpiao.fapiao import text

PROVINCES = {
    "11": "北京", "12": "天津", "13": "河北", "14": "山西", "15": "内蒙古",
    "21": "辽宁", "22": "吉林", "23": "黑龙江",
    "31": "上海", "32": "江苏", "33": "浙江", "34": "安徽", "35": "福建", "36": "江西", "37": "山东",
    "41": "河南", "42": "湖北", "43": "湖南", "44": "广东", "45": "广西", "46": "海南",
    "50": "重庆", "51": "四川", "52": "贵州", "53": "云南", "54": "西藏",
    "61": "陕西", "62": "甘肃", "63": "青海", "64": "宁夏", "65": "新疆",
}  # fmt: skip
# 计划单列市 keep their own 4-digit region.
CITIES = {"2102": "大连", "3302": "宁波", "3502": "厦门", "3702": "青岛", "4403": "深圳"}

# 10-digit codes, position 8.  2/7 (货物运输业增值税专用发票, withdrawn 2016) imply no current type.
_KIND_10 = {"1": "01", "5": "01", "3": "04", "6": "04", "2": None, "7": None}
# 12-digit codes starting with 0, positions 11-12.
_KIND_12 = {"11": "10", "12": "14", "13": "20", "04": "04", "05": "04", "06": "11", "07": "11"}
# Blockchain e-invoices carry type 10 in their QR payload (the Yunnan sample).
_BLOCKCHAIN_KIND = "10"
FIRST_YEAR = 2010


@dataclass(frozen=True)
class CodeInfo:
    """What a 发票代码 says.  ``kind`` is the invoice type code it implies, or None."""

    length: int
    region: str
    year: int
    batch: str
    kind: str | None
    kind_digits: str
    copies: int | None = None
    amount_version: str | None = None
    is_blockchain: bool = False

    @property
    def region_name(self) -> str:
        return CITIES.get(self.region) or PROVINCES.get(self.region[:2], "")


def compact(code: str) -> str:
    """Full-width digits to ASCII (NFKC), spaces removed."""
    return text.compact(code)


def validate(code: str) -> str:
    """Check the form: digits only, 10 or 12 of them.  Returns the compact code."""
    code = compact(code)
    if code and not (code.isascii() and code.isdigit()):
        raise InvalidFormat(f"发票代码 (invoice code) must contain digits only, got {code!r}")
    if len(code) not in (10, 12):
        raise InvalidLength(f"发票代码 (invoice code) must have 10 or 12 digits, got {len(code)}")
    return code


def is_valid(code: str) -> bool:
    try:
        validate(code)
    except ValidationError:
        return False
    return True


def _region(four: str) -> str:
    """The region as the platform derives it: 计划单列市 stay, others become province + 00."""
    return four if four in CITIES else four[:2] + "00"


def parse(code: str) -> CodeInfo:
    """Split a valid code into its parts (raises like :func:`validate` for a malformed one)."""
    return _parse(validate(code))


@functools.lru_cache(maxsize=4096)  # a code is shared by a whole batch of invoices
def _parse(code: str) -> CodeInfo:
    if len(code) == 10:
        return CodeInfo(
            length=10,
            region=_region(code[0:4]),
            year=2000 + int(code[4:6]),
            batch=code[6],
            kind=_KIND_10.get(code[7]),
            kind_digits=code[7],
            copies=int(code[8]),
            amount_version=code[9],
        )
    if code[0] == "1":
        return CodeInfo(
            length=12,
            region=_region(code[1:5]),
            year=2000 + int(code[5:7]),
            batch=code[9],
            kind=_BLOCKCHAIN_KIND,
            kind_digits=code[7:9],
            is_blockchain=True,
        )
    return CodeInfo(
        length=12,
        region=_region(code[1:5]),
        year=2000 + int(code[5:7]),
        batch=code[7:10],
        kind=_KIND_12.get(code[10:12]) if code[0] == "0" else None,
        kind_digits=code[10:12],
    )


def scheme_warnings(code: str, today: datetime.date | None = None) -> list[str]:
    """Messages for a well-formed code that falls outside the known scheme (never errors).

    A malformed code gives no warnings here: :func:`validate` reports it.

    >>> scheme_warnings("1100174320", today=datetime.date(2026, 1, 1))
    []
    >>> scheme_warnings("9900174320", today=datetime.date(2026, 1, 1))
    ['发票代码 9900174320: unknown province prefix 99']
    """
    try:
        code = validate(code)
    except ValidationError:
        return []
    return list(_scheme_warnings(code, today or datetime.date.today()))


@functools.lru_cache(maxsize=4096)
def _scheme_warnings(code: str, today: datetime.date) -> tuple[str, ...]:
    info = _parse(code)
    prefix = f"发票代码 {code}:"
    warnings = []
    if info.region[:2] not in PROVINCES:
        warnings.append(f"{prefix} unknown province prefix {info.region[:2]}")
    if info.year > today.year:
        warnings.append(f"{prefix} year {info.year} is in the future")
    elif info.year < FIRST_YEAR:
        warnings.append(f"{prefix} year {info.year} is before {FIRST_YEAR}")
    if info.length == 10:
        warnings += _warnings_10(prefix, info)
    elif info.is_blockchain:
        if info.kind_digits != "09" or code[11] != "0":
            warnings.append(
                f"{prefix} a 12-digit code starting with 1 is a blockchain invoice, "
                "expected 0 and 9 at positions 8-9 and 0 at position 12"
            )
    elif code[0] != "0":
        warnings.append(
            f"{prefix} 12-digit codes start with 0 (VAT invoices) or 1 (blockchain), not {code[0]}"
        )
    elif info.kind is None:
        warnings.append(f"{prefix} unknown kind {info.kind_digits} at positions 11-12 (known: 04-07, 11-13)")
    return tuple(warnings)


def _warnings_10(prefix: str, info: CodeInfo) -> list[str]:
    warnings = []
    if info.kind_digits in ("2", "7"):
        warnings.append(
            f"{prefix} kind digit {info.kind_digits} is 货物运输业增值税专用发票, withdrawn in 2016"
        )
    elif info.kind is None:
        warnings.append(
            f"{prefix} unknown kind digit {info.kind_digits} at position 8 (known: 1, 2, 3, 5, 6, 7)"
        )
    if info.copies is not None and info.copies < 2:
        warnings.append(f"{prefix} {info.copies} copies (联次) at position 9; invoices have 2 to 9")
    if info.amount_version not in ("0", "1", "2", "3", "4"):
        warnings.append(f"{prefix} unknown amount version {info.amount_version} at position 10 (known: 0-4)")
    return warnings


def infer_type(code: str, number: str) -> str:
    """The invoice type implied by code and number, or ``""`` when it cannot be told.

    A 20-digit number without a code is a 数电票, but nothing tells 31 from 32.

    >>> infer_type("4300171130", "02550485"), infer_type("", "28477743"), infer_type("x", "1")
    ('01', '', '')
    """
    code = compact(code)
    number = compact(number)
    if not code or len(number) == 20:
        return ""
    try:
        return parse(code).kind or ""
    except ValidationError:
        return ""


__all__ = [
    "CITIES",
    "PROVINCES",
    "CodeInfo",
    "compact",
    "infer_type",
    "is_valid",
    "parse",
    "scheme_warnings",
    "validate",
]
