"""Which column of a batch holds which field: the header names people use, declared once.

A table's header (or a JSON Lines object's keys) names its columns in Chinese, in English, or
in the pinyin abbreviations of the tax software and the aggregators' exports (fpdm, fphm, kprq…).
A name is matched whole, after :func:`normalise`: full-width characters folded (NFKC: （） become
()), case folded, and spaces, underscores, hyphens, the ``*`` of a required column and a closing
colon removed.  So ``Issue Date``, ``issue_date`` and ``ISSUE-DATE`` are one name, and
``金额（不含税）`` is ``金额(不含税)``; ``序号`` or ``备注`` name nothing and are ignored.

>>> header_map(["序号", "发票代码", "发票号码", " 开票日期 ", "金额（不含税）", "备注"])
{1: 'code', 2: 'number', 3: 'issue_date', 4: 'amount'}
>>> header_map(["FPHM", "Issue Date", "jshj", "number"])
{0: 'number', 1: 'issue_date', 2: 'total'}
>>> missing_columns(["code", "number", "total"])
['开票日期 (issue_date)']
>>> missing_columns(["number", "issue_date"])
['金额、校验码或价税合计 (amount, check_code or total)']
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

from yanpiao.fapiao.compare import KEY_AMOUNT_FIELDS

# The header names of each field (rows.FIELDS); the first is the field's name in messages.
ALIASES: dict[str, tuple[str, ...]] = {
    "type": ("发票类型", "票种", "发票种类", "type", "invoice_type", "fplx"),
    "code": ("发票代码", "代码", "code", "invoice_code", "fpdm"),
    "number": ("发票号码", "号码", "数电发票号码", "数电票号码", "number", "invoice_number", "fphm"),
    "issue_date": ("开票日期", "日期", "开具日期", "issue_date", "invoice_date", "date", "kprq"),
    "amount": ("金额", "不含税金额", "金额(不含税)", "合计金额", "amount", "je"),
    "check_code": ("校验码", "校验码后六位", "校验码后6位", "check_code", "jym"),
    "total": ("价税合计", "含税金额", "金额(含税)", "价税合计(小写)", "total", "jshj"),
}
# Every row needs these; the code is optional (数电票 have none).
REQUIRED = ("number", "issue_date")


def normalise(name: Any) -> str:
    """A header name as it is matched.

    >>> normalise(" *金额（不含税）："), normalise("Check_Code"), normalise("ＦＰＤＭ")
    ('金额(不含税)', 'checkcode', 'fpdm')
    """
    text = unicodedata.normalize("NFKC", str(name)).casefold()
    text = "".join(text.split()).replace("_", "").replace("-", "")
    return text.strip("*").removesuffix(":")


_FIELD_OF = {normalise(alias): name for name, aliases in ALIASES.items() for alias in aliases}


def field_of(name: Any) -> str | None:
    """The field a header name stands for, or None."""
    return _FIELD_OF.get(normalise(name))


def header_map(headers: Sequence[Any]) -> dict[int, str]:
    """The field of each recognised column, by column index; when two columns name one field
    (``发票号码`` and ``号码``), the first is read."""
    mapped: dict[int, str] = {}
    for index, header in enumerate(headers):
        name = field_of(header)
        if name is not None and name not in mapped.values():
            mapped[index] = name
    return mapped


def label(name: str) -> str:
    """A field as messages name it: ``开票日期 (issue_date)``."""
    return f"{ALIASES[name][0]} ({name})"


def missing_columns(fields: Iterable[str]) -> list[str]:
    """The key columns a table with these fields lacks, as messages name them (empty: none)."""
    present = set(fields)
    missing = [label(name) for name in REQUIRED if name not in present]
    if not present.intersection(KEY_AMOUNT_FIELDS):
        chinese = "、".join(ALIASES[name][0] for name in KEY_AMOUNT_FIELDS[:-1])
        english = ", ".join(KEY_AMOUNT_FIELDS[:-1])
        last = KEY_AMOUNT_FIELDS[-1]
        missing.append(f"{chinese}或{ALIASES[last][0]} ({english} or {last})")
    return missing
