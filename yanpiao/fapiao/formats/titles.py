"""Printed titles ↔ invoice type codes: what readers recognise and what writers print.

A title is read after NFKC normalisation (full-width brackets become ASCII ones) and without
spaces; the longest title found wins, so 增值税电子普通发票 is not taken for 增值税普通发票.
Old titles begin with the region (北京增值税电子普通发票); 数电 titles do not.  A toll invoice
(通行费) prints the e-普票 title with a 通行费 mark beside it, or 收费公路通行费… in the title;
a roll invoice adds 卷式 or 卷票.

>>> read_type("电子发票（普通发票）"), read_type("浙江增值税电子普通发票"), read_type("发票")
('32', '10', '')
>>> read_type("广东增值税电子普通发票", marks=["通行费"]), read_type("北京增值税普通发票（卷票）")
('14', '11')
>>> printed("14", region="湖北")
('湖北增值税电子普通发票', '通行费')
"""

from __future__ import annotations

from collections.abc import Iterable

from yanpiao.fapiao import types
from yanpiao.fapiao.invoice import normalize_text

TOLL_MARK = "通行费"
ROLL_MARKS = ("卷式", "卷票")


# Every title a reader may meet (normalised), with its type.
TITLES: dict[str, str] = {
    normalize_text(title): type_code
    for title, type_code in (
        (types.NAMES[types.DIGITAL_SPECIAL], types.DIGITAL_SPECIAL),
        (types.NAMES[types.DIGITAL_ORDINARY], types.DIGITAL_ORDINARY),
        (types.NAMES[types.TOLL], types.TOLL),
        ("通行费增值税电子普通发票", types.TOLL),
        (types.NAMES[types.E_SPECIAL_VAT], types.E_SPECIAL_VAT),
        (types.NAMES[types.E_ORDINARY_VAT], types.E_ORDINARY_VAT),
        (types.NAMES[types.ROLL], types.ROLL),
        ("增值税普通发票(卷票)", types.ROLL),
        (types.NAMES[types.SPECIAL_VAT], types.SPECIAL_VAT),
        (types.NAMES[types.ORDINARY_VAT], types.ORDINARY_VAT),
    )
}
_LONGEST_FIRST = sorted(TITLES, key=len, reverse=True)

# What a writer prints for each type: the title (after the region for old types) and a mark beside it.
WRITTEN: dict[str, tuple[str, str]] = {
    type_code: (types.NAMES[types.E_ORDINARY_VAT], TOLL_MARK) if type_code == types.TOLL else (name, "")
    for type_code, name in types.NAMES.items()
}


def read_type(title: str, marks: Iterable[str] = ()) -> str:
    """The type a printed title names, or ""; ``marks`` are words printed beside it (通行费)."""
    text = normalize_text(title)
    type_code = next((TITLES[known] for known in _LONGEST_FIRST if known in text), "")
    if type_code == types.E_ORDINARY_VAT and any(normalize_text(mark) == TOLL_MARK for mark in marks):
        return types.TOLL
    if type_code == types.ORDINARY_VAT and any(mark in text for mark in ROLL_MARKS):
        return types.ROLL
    return type_code


def printed(type_code: str, region: str = "") -> tuple[str, str]:
    """(title, mark) a writer prints for the type: the region before old types' titles, not 数电 ones."""
    title, mark = WRITTEN[type_code]
    return (title if types.is_digital(type_code) else region + title), mark


__all__ = ["ROLL_MARKS", "TITLES", "TOLL_MARK", "WRITTEN", "printed", "read_type"]
