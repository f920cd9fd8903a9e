"""统一社会信用代码 (USCC, GB 32100-2015) and the taxpayer IDs printed on invoices.

18 characters from ``0-9 A-H J-N P-R T U W-Y``: authority (1), entity kind (1), GB/T 2260
region (6), 组织机构代码 (9, GB 11714, whose last character is its own check), and a
mod-31 check character.  ``stdnum.cn.uscc`` computes the mod-31 check but requires
positions 1-8 to be digits and checks neither the organisation-code check nor the
authority/kind codes; this module adds all three.

>>> validate("91110000600037341L")
'91110000600037341L'
>>> validate("91320621MA1MRHG207")
Traceback (most recent call last):
...
stdnum.exceptions.InvalidChecksum: 统一社会信用代码 91320621MA1MRHG207: check character should be 5, not 7
>>> calc_check_digit("91320621MA1MRHG20"), calc_org_check_digit("MA1MRHG2")
('5', '0')
>>> is_valid("A1320621MA1MRHG217"), is_valid("B7320621MA1MRHG20G")
(False, False)
>>> validate_tax_id("110108600037341"), is_valid_tax_id("1101086000373")
('110108600037341', False)
"""

from __future__ import annotations

import functools

from stdnum.cn import ric
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError

from yanpiao.fapiao import text

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
LENGTH = 18
OLD_TAX_ID_LENGTHS = (15, 17, 20)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

# Registration authority (position 1) -> allowed entity kinds (position 2).
# 1, 5, 9, Y and the {1, 9} rule for A-G follow GB 32100-2015 as NumberValidators reads it.
# 2-4, 6-8 and N (农业, added by a later amendment) are from GB 32100 Appendix A as
# commonly quoted (UNCONFIRMED here); they are accepted because 律师事务所 (31…), 工会 (81…)
# and 宗教活动场所 (71…) hold such codes and appear on invoices.  Lenient by design.
AUTHORITY_KINDS = {
    "1": "1239",  # 机构编制: 机关, 事业单位, 群众团体, 其他
    "2": "19",  # 外交
    "3": "123459",  # 司法行政: 律师执业机构, 公证处, 基层法律服务所, 司法鉴定机构, 仲裁委员会, 其他
    "4": "19",  # 文化
    "5": "1239",  # 民政: 社会团体, 民办非企业单位, 基金会, 其他
    "6": "129",  # 旅游
    "7": "129",  # 宗教
    "8": "19",  # 工会
    "9": "123",  # 工商: 企业, 个体工商户, 农民专业合作社
    **dict.fromkeys("ABCDEFG", "19"),
    "N": "1239",  # 农业: 组级, 村级, 乡镇级集体经济组织, 其他
    "Y": "1",  # 其他
}


def compact(code: str) -> str:
    """Full-width to ASCII (NFKC), spaces and dashes removed, upper case."""
    return text.compact(code).replace("-", "").upper()


def calc_check_digit(first17: str) -> str:
    """The mod-31 check character over the first 17 characters (letters allowed anywhere)."""
    first17 = compact(first17)[:17]
    if len(first17) != 17 or any(c not in ALPHABET for c in first17):
        raise InvalidFormat(f"need 17 characters from {ALPHABET}, got {first17!r}")
    if first17[:8].isdigit():
        return stdnum_uscc.calc_check_digit(first17)
    weights = [pow(3, i, 31) for i in range(17)]
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, weights, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def calc_org_check_digit(eight: str) -> str:
    """The GB 11714 check character of an 8-character 组织机构代码 body (``X`` stands for 10).

    >>> calc_org_check_digit("60003734")
    '1'
    """
    eight = compact(eight)
    if len(eight) != 8 or not eight.isascii() or not eight.isalnum():
        raise InvalidFormat(f"an organisation code body is 8 digits or letters, got {eight!r}")
    total = sum(int(c, 36) * w for c, w in zip(eight, _ORG_WEIGHTS, strict=True))
    check = (11 - total % 11) % 11
    return "X" if check == 10 else str(check)


def validate(code: str) -> str:
    """Check length, alphabet, authority/kind, region digits, both check characters."""
    code = compact(code)
    name = f"统一社会信用代码 {code}"
    if len(code) != LENGTH:
        raise InvalidLength(f"统一社会信用代码 (USCC) must have 18 characters, got {len(code)}")
    bad = sorted({c for c in code if c not in ALPHABET})
    if bad:
        raise InvalidFormat(f"{name}: characters {''.join(bad)!r} are not used (no I, O, S, V, Z)")
    kinds = AUTHORITY_KINDS.get(code[0])
    if kinds is None:
        raise InvalidComponent(f"{name}: unknown registration authority {code[0]!r} at position 1")
    if code[1] not in kinds:
        raise InvalidComponent(f"{name}: entity kind {code[1]!r} is not allowed for authority {code[0]!r}")
    if not code[2:8].isdigit():
        raise InvalidFormat(f"{name}: positions 3-8 are a region code of 6 digits")
    expected = calc_check_digit(code[:17])
    if code[17] != expected:
        raise InvalidChecksum(f"{name}: check character should be {expected}, not {code[17]}")
    org_expected = calc_org_check_digit(code[8:16])
    if code[16] != org_expected:
        raise InvalidChecksum(f"{name}: organisation code check (position 17) should be {org_expected}")
    return code


def is_valid(code: str) -> bool:
    try:
        validate(code)
    except ValidationError:
        return False
    return True


@functools.lru_cache(maxsize=65536)  # the same parties recur on thousands of invoices
def validate_tax_id(tax_id: str) -> str:
    """A 纳税人识别号 as printed on an invoice.

    18 characters follow the USCC rules, except that a valid 18-digit 居民身份证号 (which
    individuals use) is accepted too.  Older IDs of 15, 17 or 20 letters and digits are
    accepted without a check: their rules are not documented.
    """
    tax_id = compact(tax_id)
    if len(tax_id) == LENGTH:
        try:
            return validate(tax_id)
        except ValidationError:
            if ric.is_valid(tax_id):
                return tax_id
            raise
    if len(tax_id) in OLD_TAX_ID_LENGTHS:
        if not tax_id.isascii() or not tax_id.isalnum():
            raise InvalidFormat(
                f"纳税人识别号 (taxpayer ID) must contain letters and digits only, got {tax_id!r}"
            )
        return tax_id
    raise InvalidLength(
        "纳税人识别号 (tax ID) must have 18 characters (a 统一社会信用代码), "
        f"or 15, 17 or 20 for an older ID; got {len(tax_id)}"
    )


def is_valid_tax_id(tax_id: str) -> bool:
    try:
        validate_tax_id(tax_id)
    except ValidationError:
        return False
    return True


__all__ = [
    "ALPHABET",
    "AUTHORITY_KINDS",
    "calc_check_digit",
    "calc_org_check_digit",
    "compact",
    "is_valid",
    "is_valid_tax_id",
    "validate",
    "validate_tax_id",
]
