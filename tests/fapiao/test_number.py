"""发票号码: 8 digits, or 20 for 数电票 (docs/invoice-facts.md §1.3, §1.4)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.exceptions import InvalidFormat, InvalidLength

from yanpiao.fapiao import number


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("28477743", "28477743"),
        ("２８４７７７４３", "28477743"),
        (" 2642 7000 0003 7558 6818", "26427000000375586818"),
    ],
)
def test_validate(raw, expected):
    assert number.validate(raw) == expected
    assert number.is_valid(raw)


def test_seven_digits_is_a_length_error_that_says_what_is_expected():
    with pytest.raises(InvalidLength) as info:
        number.validate("2847774")
    assert "8 digits" in str(info.value) and "20" in str(info.value) and "got 7" in str(info.value)


@pytest.mark.parametrize("raw", ["", "123456789", "2642700000037558681", "264270000003755868181"])
def test_other_lengths(raw):
    with pytest.raises(InvalidLength):
        number.validate(raw)


@pytest.mark.parametrize("raw", ["2847774A", "28477-43", "No.12345"])
def test_not_digits(raw):
    with pytest.raises(InvalidFormat, match="digits only"):
        number.validate(raw)
    assert not number.is_valid(raw)


def test_is_digital():
    assert number.is_digital("26427000000375586818")
    assert number.is_digital("".join(chr(ord(c) + 0xFEE0) for c in "26427000000375586818"))
    assert not number.is_digital("28477743")
    assert not number.is_digital("2642700000037558681X")


@pytest.mark.parametrize(
    ("raw", "year", "region", "channel", "sequence"),
    [
        ("25924000000001260164", 2025, "92", "4", "000000001260164"),  # 青岛 = 92
        ("26337904450900255091", 2026, "33", "7", "904450900255091"),  # 数电通行费: 79 at digits 5-6
        ("24312000000136634917", 2024, "31", "2", "000000136634917"),
    ],
)
def test_parse_digital(raw, year, region, channel, sequence):
    assert number.parse_digital(raw) == number.DigitalNumberInfo(year, region, channel, sequence)


def test_parse_digital_refuses_eight_digits():
    with pytest.raises(InvalidLength, match="20 digits"):
        number.parse_digital("28477743")


@given(st.text(alphabet="0123456789", min_size=20, max_size=20))
def test_parse_digital_puts_the_digits_back_together(raw):
    info = number.parse_digital(raw)
    assert f"{info.year % 100:02d}{info.region}{info.channel}{info.sequence}" == raw
