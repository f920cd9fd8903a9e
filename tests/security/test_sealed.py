"""Sealed tokens open only as they were sealed, for the purpose they were sealed for."""

import pytest

from yanpiao.security import sealed


def test_a_sealed_token_opens_to_what_was_sealed():
    assert sealed.unseal(sealed.seal(b"\x00\x01 cursor", b"one"), b"one") == b"\x00\x01 cursor"


def test_the_same_data_seals_differently_each_time():
    assert sealed.seal(b"7", b"one") != sealed.seal(b"7", b"one")


@pytest.mark.parametrize("change", ["purpose", "flip", "cut", "empty", "long", "not base64", "not ascii"])
def test_anything_else_is_unsealable(change):
    token = sealed.seal(b"7", b"one")
    text, purpose = {
        "purpose": (token, b"two"),
        "flip": (token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1], b"one"),
        "cut": (token[:10], b"one"),
        "empty": ("", b"one"),
        "long": (token + "A" * sealed.MAX_LENGTH, b"one"),
        "not base64": ("%%%%" * 10, b"one"),
        "not ascii": ("封" * 30, b"one"),
    }[change]
    with pytest.raises(sealed.Unsealable):
        sealed.unseal(text, purpose)
