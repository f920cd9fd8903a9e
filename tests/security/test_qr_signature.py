"""Signed QR payloads: a payload signed under the ``qr`` keyset checks ``valid``; any altered key
field, altered signature bytes or foreign key is ``invalid``; a payload without one is
``absent``; nothing raises; rotation keeps old payloads valid.  No database is touched."""

import base64
import datetime
from decimal import Decimal

import pytest
import tink
from django.core.management import call_command
from hypothesis import given
from hypothesis import strategies as st
from tink import signature

from yanpiao.fapiao import qr
from yanpiao.security import keys, qr_signature, rotation

DIGITAL = qr.build("32", "", "26112000000000000017", Decimal("164.47"), datetime.date(2025, 3, 7))
ORDINARY = qr.build(
    "04", "1100241320", "00000017", Decimal("157.50"), datetime.date(2025, 3, 7), "00000000000000000017"
)


@pytest.fixture(autouse=True)
def own_keys(own_keysets):
    """Keysets of a home of the test's own, so that rotation touches no other test."""
    return own_keysets


def with_field(text: str, index: int, value: str) -> str:
    fields = text.split(",")
    fields[index] = value
    return ",".join(fields)


@pytest.mark.parametrize("standard", [DIGITAL, ORDINARY])
def test_a_signed_payload_is_valid_and_keeps_the_standard_fields(standard):
    signed = qr_signature.sign(standard)
    assert signed.startswith(standard) and signed.count(",") == 8
    assert qr.crc_ok(signed)
    assert qr_signature.check(signed) == "valid"
    assert qr_signature.sign(standard) == signed  # Ed25519 is deterministic
    assert qr_signature.check(standard) == "absent"


@pytest.mark.parametrize(
    ("index", "value"),
    [
        (1, "31"),  # type
        (3, "26112000000000000018"),  # number
        (4, "164.48"),  # amount
        (4, "-164.47"),
        (5, "20250308"),  # issue date
    ],
)
def test_each_altered_key_field_of_a_digital_invoice_is_invalid(index, value):
    signed = qr_signature.sign(DIGITAL)
    assert qr_signature.check(with_field(signed, index, value)) == "invalid"


@pytest.mark.parametrize(
    ("index", "value"),
    [
        (1, "10"),  # type
        (2, "1100241330"),  # code
        (3, "00000018"),  # number
        (4, "157.51"),  # amount
        (5, "20240307"),  # issue date
        (6, "00000000000000000018"),  # check code
        (6, ""),
    ],
)
def test_each_altered_key_field_of_an_ordinary_invoice_is_invalid(index, value):
    signed = qr_signature.sign(ORDINARY)
    assert qr_signature.check(with_field(signed, index, value)) == "invalid"


def test_the_same_fields_written_otherwise_still_check():
    """The signature is over the canonical key fields: 164.5 is 164.50, the CRC is not signed."""
    signed = qr_signature.sign(DIGITAL)
    assert qr_signature.check(with_field(signed, 4, "164.470")) == "invalid"  # not a payload amount
    loose = qr_signature.sign(
        qr.build("32", "", "26112000000000000017", Decimal("6.5"), datetime.date(2025, 3, 7))
    )
    assert qr_signature.check(loose.replace(",6.50,", ",6.5,")) == "valid"
    assert qr_signature.check(with_field(signed, 7, "0000")) == "valid"  # a CRC warning, not a forgery
    assert qr_signature.check(signed.replace(",", "，")) == "valid"


def test_every_flipped_bit_of_the_signature_is_invalid():
    signed = qr_signature.sign(DIGITAL)
    standard, raw = qr.split_signature(signed)
    for position in range(len(raw)):
        for bit in (0x01, 0x80):
            flipped = bytearray(raw)
            flipped[position] ^= bit
            assert qr_signature.check(qr.with_signature(standard, bytes(flipped))) == "invalid"
    assert qr_signature.check(qr.with_signature(standard, raw[:-1])) == "invalid"
    assert qr_signature.check(qr.with_signature(standard, raw + b"\0")) == "invalid"
    assert qr_signature.check(qr.with_signature(standard, b"")) == "invalid"


def test_a_signature_moved_to_another_invoice_is_invalid():
    signature_field = qr_signature.sign(DIGITAL).rsplit(",", 1)[1]
    assert qr_signature.check(f"{ORDINARY}{signature_field}") == "invalid"


def test_a_payload_signed_by_another_key_is_invalid():
    foreign = tink.new_keyset_handle(signature.signature_key_templates.ED25519).primitive(
        signature.PublicKeySign
    )
    forged = qr.with_signature(DIGITAL, foreign.sign(qr.signature_message(qr.parse(DIGITAL))))
    assert qr_signature.check(forged) == "invalid"
    # the same key id in its prefix changes nothing: the key itself is not ours
    ours = qr.split_signature(qr_signature.sign(DIGITAL))[1]
    _, theirs = qr.split_signature(forged)
    assert qr_signature.check(qr.with_signature(DIGITAL, ours[:5] + theirs[5:])) == "invalid"


def test_a_payload_signed_by_another_installation_is_invalid(settings, tmp_path):
    signed_here = qr_signature.sign(DIGITAL)
    settings.HOME = tmp_path / "elsewhere"
    keys.forget()
    assert qr_signature.check(signed_here) == "invalid"
    assert qr_signature.check(qr_signature.sign(DIGITAL)) == "valid"


def test_after_rotation_old_payloads_stay_valid_and_new_ones_use_the_new_key():
    old = qr_signature.sign(DIGITAL)
    old_key, _ = keys.key_ids("qr")
    new_key = rotation.rotate("qr")
    assert new_key != old_key
    assert keys.key_ids("qr") == (new_key, [old_key, new_key])
    new = qr_signature.sign(DIGITAL)
    assert new != old
    assert (qr_signature.key_id(old), qr_signature.key_id(new)) == (old_key, new_key)
    assert qr_signature.check(old) == qr_signature.check(new) == "valid"


def test_rotating_a_keyset_never_used_gives_it_a_first_key_then_the_new_one():
    new_key = rotation.rotate("qr")
    primary, ids = keys.key_ids("qr")
    assert primary == new_key and len(ids) == 2


@pytest.mark.django_db
def test_the_keys_command_rotates_and_lists_the_qr_keyset(capsys):
    old = qr_signature.sign(DIGITAL)
    call_command("keys", "rotate", "--keyset", "qr")
    assert "qr: new primary key" in capsys.readouterr().out
    assert qr_signature.check(old) == "valid"
    call_command("keys", "status")
    primary, _ = keys.key_ids("qr")
    assert f"qr: primary key {primary}, 2 key(s)" in capsys.readouterr().out


def test_the_keyset_is_stored_encrypted():
    qr_signature.sign(DIGITAL)
    stored = (keys.keys_dir() / "qr.json").read_text()
    assert "encryptedKeyset" in stored and "keyData" not in stored


@pytest.mark.parametrize(
    "text",
    [
        "",
        "hello",
        None,
        42,
        b"01,32,,",
        "01,32,,26112000000000000017",
        "x" * 100_000,
        "01,32,,26112000000000000017,164.47,20250307,,0000,something",
        "\0\0\0",
        "YPS1:AAAA",  # a signature field alone is no field of a payload
        "01,32,,２6112000000000000017,164.47,20250307,,0000,",
    ],
)
def test_garbage_without_a_signature_field_is_absent(text):
    assert qr_signature.check(text) == "absent"


@pytest.mark.parametrize(
    "text",
    [
        "hello,YPS1:",
        "hello,YPS1:AQID",
        "01,32,,26112000000000000017,164.47,20250307,,0000,YPS1:@@@",
        "01,32,,26112000000000000017,164.47,20250307,,0000,YPS1:" + "A" * 500,
        "01,32,,26112000000000000017,999,20250307,,0000,YPS1:"
        + base64.urlsafe_b64encode(b"\1" * 69).decode(),
    ],
)
def test_garbage_with_a_signature_field_is_invalid(text):
    assert qr_signature.check(text) == "invalid"


@given(st.text(max_size=200) | st.builds(lambda s: f"{DIGITAL}YPS1:{s}", st.text(max_size=120)))
def test_check_never_raises(text):
    assert qr_signature.check(text) in qr_signature.STATUSES


def test_sign_refuses_what_is_not_an_unsigned_payload():
    with pytest.raises(qr.QrFormatError):
        qr_signature.sign("hello")
    with pytest.raises(qr.QrFormatError, match="signed already"):
        qr_signature.sign(qr_signature.sign(DIGITAL))
