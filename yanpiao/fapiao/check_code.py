"""校验码 (check code): 20 digits printed on 普票 and e-invoices, typed as its last 6.

专票 (01) and 数电票 (31/32) print none.  Verifiers type the last 6 digits or all 20;
Shenzhen blockchain invoices use a 5-character alphanumeric code (e.g. ``4c1a1``).

>>> validate_full("48987 40624 18572 27858")
'48987406241857227858'
>>> validate_query("227858"), validate_query("4c1a1")
('227858', '4c1a1')
>>> last6("48987406241857227858")
'227858'
>>> validate_query("12345")
'12345'
>>> validate_query("1234567")
Traceback (most recent call last):
...
stdnum.exceptions.InvalidLength: 校验码 (check code): enter its last 6 digits or all 20 (5 characters on a blockchain invoice); got 7 characters
"""

from __future__ import annotations

from stdnum.exceptions import InvalidFormat, InvalidLength, ValidationError

from yanpiao.fapiao import text

FULL_LENGTH = 20
QUERY_LENGTH = 6
BLOCKCHAIN_LENGTH = 5


def compact(code: str) -> str:
    """Full-width characters to ASCII (NFKC), spaces and dashes removed."""
    return text.compact(code).replace("-", "")


def validate_full(code: str) -> str:
    """The printed check code: exactly 20 digits."""
    code = compact(code)
    if code and not (code.isascii() and code.isdigit()):
        raise InvalidFormat(f"校验码 (check code) must contain digits only, got {code!r}")
    if len(code) != FULL_LENGTH:
        raise InvalidLength(f"校验码 (check code) must have 20 digits, got {len(code)}")
    return code


def validate_query(code: str) -> str:
    """What a verifier may type: the last 6 digits, all 20, or 5 characters (blockchain)."""
    code = compact(code)
    if code and not (code.isascii() and code.isalnum()):
        raise InvalidFormat(
            f"校验码 (check code) must contain digits (or letters on a blockchain invoice), got {code!r}"
        )
    if len(code) == BLOCKCHAIN_LENGTH:
        return code
    if len(code) not in (QUERY_LENGTH, FULL_LENGTH):
        raise InvalidLength(
            "校验码 (check code): enter its last 6 digits or all 20 (5 characters on a blockchain invoice); "
            f"got {len(code)} characters"
        )
    if not code.isdigit():
        raise InvalidFormat(
            f"校验码 (check code) of {len(code)} characters must be digits only, got {code!r}"
        )
    return code


def is_valid_query(code: str) -> bool:
    try:
        validate_query(code)
    except ValidationError:
        return False
    return True


def last6(code: str) -> str:
    """The last 6 characters, what the national platform asks for (a shorter code is returned whole)."""
    return compact(code)[-QUERY_LENGTH:]


__all__ = ["compact", "is_valid_query", "last6", "validate_full", "validate_query"]
