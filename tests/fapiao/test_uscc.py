"""统一社会信用代码 and invoice tax IDs (docs/invoice-facts.md §5, test vectors §9)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength

from yanpiao.fapiao import uscc

VALID = [
    "91110000600037341L",
    "91320621MA1MRHG205",
    "91530102MA7KNHQC36",
    "52310106751466629W",
    "914400007556190127",
    "91441702707782974C",
    "913205830880018839",
    "91330000142942095H",
    "91330106MACKX4QG41",
    "91110302MA01NP925M",
    "92420100MA4JMP6D4P",
    "91370203MA3N3AR685",
    "91440300708461136T",
    "913101150934986600",
]


@pytest.mark.parametrize("code", VALID)
def test_valid_vectors(code):
    assert uscc.validate(code) == code
    assert uscc.is_valid(code)
    assert uscc.validate_tax_id(code) == code
    assert uscc.calc_check_digit(code[:17]) == code[17]
    assert uscc.calc_org_check_digit(code[8:16]) == code[16]
    # where stdnum works (digits in positions 1-8) it agrees
    assert stdnum_uscc.is_valid(code)


@pytest.mark.parametrize(
    ("code", "error", "fragment"),
    [
        ("91320621MA1MRHG207", InvalidChecksum, "should be 5"),
        ("911301047981234567", InvalidChecksum, "should be F"),
        ("A1320621MA1MRHG217", InvalidChecksum, "organisation code"),
        ("B7320621MA1MRHG20G", InvalidComponent, "entity kind '7'"),
        ("L8320621MA1MRHG204", InvalidComponent, "authority 'L'"),
        ("91500102563638729E", InvalidChecksum, "should be 5"),
    ],
)
def test_invalid_vectors(code, error, fragment):
    with pytest.raises(error, match=fragment):
        uscc.validate(code)
    assert not uscc.is_valid(code)
    assert not uscc.is_valid_tax_id(code)


def test_the_org_check_of_the_tencent_placeholder_fails_too():
    code = "911301047981234567"
    assert uscc.calc_org_check_digit(code[8:16]) != code[16]


def test_stdnum_rejects_letter_authorities_that_are_valid():
    first17 = "A1320621MA1MRHG20"
    code = first17 + uscc.calc_check_digit(first17)
    assert not stdnum_uscc.is_valid(code)
    assert uscc.validate(code) == code


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("91110000600037341", InvalidLength),
        ("91110000600037341LX", InvalidLength),
        ("9111000060003734IL", InvalidFormat),  # I is never used
        ("91110000600O37341L", InvalidFormat),
        ("9111AB00600037341L", InvalidFormat),  # region must be digits
        ("Y2110000600037341L", InvalidComponent),  # Y allows kind 1 only
        ("94110000600037341L", InvalidComponent),  # 工商 has kinds 1, 2, 3
        ("01110000600037341L", InvalidComponent),
    ],
)
def test_malformed(code, error):
    with pytest.raises(error):
        uscc.validate(code)


def test_compact():
    assert uscc.validate(" 9111 0000 6000 3734 1l ") == "91110000600037341L"
    assert uscc.validate("９１１１００００６０００３７３４１Ｌ") == "91110000600037341L"


def test_calc_org_check_digit_writes_ten_as_x():
    bodies = [f"{n:08d}" for n in range(200)]
    checks = {uscc.calc_org_check_digit(body) for body in bodies}
    assert "X" in checks and checks <= set("0123456789X")


@pytest.mark.parametrize("bad", ["1234567", "123456789", "1234567!"])
def test_calc_org_check_digit_needs_eight_characters(bad):
    with pytest.raises(InvalidFormat):
        uscc.calc_org_check_digit(bad)


def test_calc_check_digit_needs_seventeen_characters_of_the_alphabet():
    with pytest.raises(InvalidFormat):
        uscc.calc_check_digit("9111000060003734")
    with pytest.raises(InvalidFormat):
        uscc.calc_check_digit("9111000060003734I")


@pytest.mark.parametrize(
    "tax_id",
    [
        "110108600037341",
        "44030019650101123",
        "44030019650101123X01",
        "360426199101010071",
        "91110000600037341L",
    ],
)
def test_tax_ids_accepted(tax_id):
    assert uscc.validate_tax_id(tax_id) == tax_id


@pytest.mark.parametrize(
    ("tax_id", "error"),
    [
        ("1101086000373", InvalidLength),
        ("1101086000373411", InvalidLength),
        ("110108600037341234567", InvalidLength),
        ("11010860003734-", InvalidLength),
        ("11010860003734#", InvalidFormat),
        ("360426199101010072", InvalidComponent),  # neither a USCC nor a 居民身份证号
        ("91110000600037341K", InvalidChecksum),
        ("", InvalidLength),
    ],
)
def test_tax_ids_refused(tax_id, error):
    with pytest.raises(error):
        uscc.validate_tax_id(tax_id)
    assert not uscc.is_valid_tax_id(tax_id)


_ORG = st.text(alphabet=uscc.ALPHABET, min_size=8, max_size=8)
_AUTHORITY_KIND = st.sampled_from([a + k for a, kinds in uscc.AUTHORITY_KINDS.items() for k in kinds])
_REGION = st.text(alphabet="0123456789", min_size=6, max_size=6)


@st.composite
def generated_codes(draw):
    org = draw(_ORG)
    first17 = draw(_AUTHORITY_KIND) + draw(_REGION) + org + uscc.calc_org_check_digit(org)
    return first17 + uscc.calc_check_digit(first17)


@given(generated_codes())
def test_generated_codes_validate(code):
    assert uscc.validate(code) == code


@given(generated_codes(), st.integers(min_value=0, max_value=17), st.sampled_from(uscc.ALPHABET))
def test_any_single_substitution_is_caught(code, position, replacement):
    changed = code[:position] + replacement + code[position + 1 :]
    assert uscc.is_valid(changed) == (changed == code)
