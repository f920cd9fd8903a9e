"""大写金额 in the invoice form (docs/invoice-facts.md §6, test vectors §9)."""

import re
from decimal import Decimal

import cn2an
import pytest
from hypothesis import given
from hypothesis import strategies as st

from yanpiao.fapiao import amount_words, compare
from yanpiao.fapiao.amount_words import fold_words, to_words, words_match

VECTORS = [
    ("21800.00", "贰万壹仟捌佰圆整"),
    ("370.08", "叁佰柒拾圆零捌分"),
    ("692.00", "陆佰玖拾贰圆整"),
    ("80105.30", "捌万零壹佰零伍圆叁角整"),
    ("12.70", "壹拾贰圆柒角整"),
    ("10.70", "壹拾圆柒角整"),
    ("1130.00", "壹仟壹佰叁拾圆整"),
    ("246.90", "贰佰肆拾陆圆玖角整"),
    ("12345.67", "壹万贰仟叁佰肆拾伍圆陆角柒分"),  # cn2an's own example, with 圆
]


@pytest.mark.parametrize(("amount", "words"), VECTORS)
def test_vectors(amount, words):
    assert to_words(Decimal(amount)) == words
    assert words_match(words, Decimal(amount))


@pytest.mark.parametrize(("amount", "words"), VECTORS)
def test_red_letter_amounts_are_prefixed(amount, words):
    assert to_words(-Decimal(amount)) == "（负数）" + words
    assert words_match("（负数）" + words, -Decimal(amount))
    assert words_match("(负数)" + words, -Decimal(amount))
    assert not words_match(words, -Decimal(amount))


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("0.50", "伍角整"),  # decided: no 零圆 (UNCONFIRMED on real invoices)
        ("0.05", "伍分"),
        ("0.00", "零圆整"),
        ("1680.32", "壹仟陆佰捌拾圆叁角贰分"),  # decided: no 零 after 圆 (UNCONFIRMED)
        ("10.00", "壹拾圆整"),
        ("19.00", "壹拾玖圆整"),
        ("100000000.00", "壹亿圆整"),
        ("200000000.01", "贰亿圆零壹分"),
    ],
)
def test_decisions_and_edges(amount, words):
    assert to_words(Decimal(amount)) == words


@pytest.mark.parametrize(
    ("printed", "amount"),
    [
        ("壹拾元柒角", "10.70"),  # cn2an's form
        ("壹拾圆柒角", "10.70"),
        ("贰万壹仟捌佰元整", "21800.00"),
        ("贰万壹仟捌佰圆正", "21800.00"),
        ("零圆伍角整", "0.50"),
        ("零圆零伍分", "0.05"),
        ("壹仟陆佰捌拾圆零叁角贰分", "1680.32"),
        ("壹佰万零壹仟圆整", "1001000.00"),
        ("壹佰万壹仟圆整", "1001000.00"),
        ("ⓧ 壹拾贰圆 柒角整", "12.70"),
        ("负壹拾元柒角", "-10.70"),
    ],
)
def test_words_match_accepts_other_forms(printed, amount):
    assert words_match(printed, Decimal(amount))


@pytest.mark.parametrize(
    ("printed", "amount"),
    [
        ("壹拾圆柒角整", "10.71"),
        ("壹拾圆柒角整", "17.00"),
        ("壹佰圆整", "10.00"),
        ("", "0.00"),
        ("壹拾圆柒角整", "10.705"),
    ],
)
def test_words_match_refuses(printed, amount):
    assert not words_match(printed, Decimal(amount))


def test_compare_uses_the_same_fold():
    assert compare.fold_words is amount_words.fold_words
    assert fold_words("壹拾元柒角") == fold_words("壹拾圆柒角整")


@pytest.mark.parametrize("amount", ["1.005", "1000000000000.00", "-1000000000000.00", "NaN", "Infinity"])
def test_out_of_range(amount):
    with pytest.raises(ValueError):
        to_words(Decimal(amount))


_UNITS = {"角": Decimal("0.1"), "分": Decimal("0.01")}
_DIGITS = dict(zip("零壹贰叁肆伍陆柒捌玖", range(10), strict=True))


def words_to_amount(words: str) -> Decimal:
    """Read the invoice form back, independently of the code under test (cn2an for the integer part)."""
    sign = -1 if words.startswith("（负数）") else 1
    words = words.removeprefix("（负数）").removesuffix("整")
    integer, _, fraction = words.rpartition("圆")
    value = Decimal(cn2an.cn2an(integer, "strict")) if integer else Decimal(0)
    for digit, unit in re.findall("([壹贰叁肆伍陆柒捌玖])([角分])", fraction):
        value += _DIGITS[digit] * _UNITS[unit]
    assert re.fullmatch("(零?[壹贰叁肆伍陆柒捌玖][角分])*", fraction), fraction
    return sign * value


_AMOUNTS = st.decimals(min_value=-amount_words.MAX_AMOUNT, max_value=amount_words.MAX_AMOUNT, places=2)


@given(_AMOUNTS)
def test_words_read_back_to_the_amount(amount):
    words = to_words(amount)
    assert words.endswith(("整", "分"))
    assert "元" not in words
    assert words_to_amount(words) == amount
    assert words_match(words, amount)
    assert to_words(amount) == words


@given(_AMOUNTS, _AMOUNTS)
def test_different_amounts_have_different_words(a, b):
    assert (fold_words(to_words(a)) == fold_words(to_words(b))) == (a == b)


@given(_AMOUNTS)
def test_words_are_cn2ans_numerals_in_the_invoice_form(amount):
    reference = cn2an.an2cn(format(abs(amount), "f"), "rmb").replace("元", "圆")
    if reference.endswith("角"):
        reference += "整"
    yuan = int(abs(amount))
    if yuan >= 10**8 and yuan // 10**4 % 10**4 == 0 and yuan % 10**4 >= 1000:
        reference = reference.replace("亿", "亿零")  # cn2an writes 壹亿贰仟 for 100002000
    assert to_words(amount) == ("（负数）" + reference if amount < 0 else reference)


def test_a_zero_wan_group_is_read_as_ling():
    assert to_words(Decimal("100002000")) == "壹亿零贰仟圆整"
    assert words_match("壹亿贰仟圆整", Decimal("100002000"))
