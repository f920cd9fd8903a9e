"""校验码: 20 digits printed; the last 6, all 20, or 5 characters (blockchain) typed (docs/invoice-facts.md §1.5)."""

import pytest
from stdnum.exceptions import InvalidFormat, InvalidLength

from yanpiao.fapiao import check_code

FULL = "48987406241857227858"


def test_validate_full():
    assert check_code.validate_full(FULL) == FULL
    assert check_code.validate_full("48987 40624 18572 27858") == FULL
    assert check_code.validate_full("４８９８７４０６２４１８５７２２７８５８") == FULL


@pytest.mark.parametrize(
    ("raw", "error"), [("227858", InvalidLength), ("4898740624185722785X", InvalidFormat)]
)
def test_validate_full_refuses(raw, error):
    with pytest.raises(error):
        check_code.validate_full(raw)


@pytest.mark.parametrize("raw", ["227858", FULL, "4c1a1", "12345", " 2278 58 "])
def test_validate_query_accepts(raw):
    assert check_code.validate_query(raw) == check_code.compact(raw)
    assert check_code.is_valid_query(raw)


@pytest.mark.parametrize(
    ("raw", "error"),
    [("1234", InvalidLength), ("1234567", InvalidLength), ("22785a", InvalidFormat), ("2278#8", InvalidFormat),
     ("4898740624185722785a", InvalidFormat), ("", InvalidLength)],
)  # fmt: skip
def test_validate_query_refuses(raw, error):
    with pytest.raises(error):
        check_code.validate_query(raw)
    assert not check_code.is_valid_query(raw)


def test_last6():
    assert check_code.last6(FULL) == "227858"
    assert check_code.last6("227858") == "227858"
    assert check_code.last6("48987-40624-18572-27858") == "227858"
