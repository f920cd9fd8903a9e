"""发票号码 (invoice number): 8 digits on pre-数电 invoices, 20 digits on 数电票.

A 20-digit 数电 number reads: year (2 digits, ``yy``), region (2: the province, or its
own code for a 计划单列市, e.g. 青岛 92), issuing channel (1), sequence (15).

>>> validate("２８４７ ７７４３")
'28477743'
>>> is_digital("26427000000375586818"), is_digital("28477743")
(True, False)
>>> parse_digital("25924000000001260164")
DigitalNumberInfo(year=2025, region='92', channel='4', sequence='000000001260164')
>>> validate("2847774")
Traceback (most recent call last):
...
stdnum.exceptions.InvalidLength: 发票号码 (invoice number) must have 8 digits, or 20 for a 数电票; got 7
"""

from __future__ import annotations

from dataclasses import dataclass

from stdnum.exceptions import InvalidFormat, InvalidLength, ValidationError

from yanpiao.fapiao import text

LENGTHS = (8, 20)
DIGITAL_LENGTH = 20


@dataclass(frozen=True)
class DigitalNumberInfo:
    year: int
    region: str
    channel: str
    sequence: str


def compact(number: str) -> str:
    """Full-width digits to ASCII (NFKC), spaces removed."""
    return text.compact(number)


def validate(number: str) -> str:
    """Check digits only and 8 or 20 of them.  Returns the compact number."""
    number = compact(number)
    if number and not (number.isascii() and number.isdigit()):
        raise InvalidFormat(f"发票号码 (invoice number) must contain digits only, got {number!r}")
    if len(number) not in LENGTHS:
        raise InvalidLength(
            f"发票号码 (invoice number) must have 8 digits, or 20 for a 数电票; got {len(number)}"
        )
    return number


def is_valid(number: str) -> bool:
    try:
        validate(number)
    except ValidationError:
        return False
    return True


def is_digital(number: str) -> bool:
    """A well-formed 20-digit 数电票 number."""
    return is_valid(number) and len(compact(number)) == DIGITAL_LENGTH


def parse_digital(number: str) -> DigitalNumberInfo:
    """Split a 20-digit number; raises ``InvalidLength`` for an 8-digit one."""
    number = validate(number)
    if len(number) != DIGITAL_LENGTH:
        raise InvalidLength(f"a 数电票 number has 20 digits, got {len(number)}")
    return DigitalNumberInfo(
        year=2000 + int(number[0:2]), region=number[2:4], channel=number[4], sequence=number[5:]
    )


__all__ = ["DigitalNumberInfo", "compact", "is_digital", "is_valid", "parse_digital", "validate"]
