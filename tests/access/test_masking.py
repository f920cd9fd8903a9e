"""The one masking function: what each kind of value shows of itself."""

import pytest

from yanpiao.access.masking import mask


@pytest.mark.parametrize(
    ("value", "kind", "shown"),
    [
        ("zhang.san@example.com", "email", "z***@example.com"),
        ("13800138000", "phone", "138****8000"),
        ("010-62000000", "phone", "010*****0000"),
        ("62000000", "phone", "******00"),
        ("91110108MA01ABCD2H", "tax_id", "9111**********CD2H"),
        ("张三", "name", "张*"),
        ("北京市海淀区中关村大街1号", "address", "北京市海淀区***"),
        ("0200000000000001234", "account", "***************1234"),
        ("227858", "secret", "****58"),
        ("", "name", ""),
        (None, "secret", ""),
    ],
)
def test_each_kind_shows_little_of_the_value(value, kind, shown):
    assert mask(value, kind) == shown


def test_a_secret_never_shows_more_than_two_characters():
    for length in range(1, 25):
        shown = mask("7" * length, "secret")
        assert len(shown) == length and shown.count("7") <= min(2, length - 1)


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown kind"):
        mask("x", "colour")
