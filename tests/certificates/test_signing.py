"""The signing key: kept encrypted under the master key, in generations, rotated, cached."""

import json

import pytest
from cryptography.hazmat.primitives import serialization

from yanpiao.certificates import signing
from yanpiao.security import keys


def test_no_key_exists_until_one_is_needed_to_sign():
    assert signing.keyring() is None
    assert signing.trusted_certificates() == []
    assert signing.public_pem() == ""
    first = signing.signing_generation()
    assert first.number == 1
    assert signing.trusted_certificates() == [first.certificate]


def test_the_key_file_is_private_and_encrypted_under_the_master_key():
    generation = signing.signing_generation()
    file = signing.path()
    assert file.stat().st_mode & 0o777 == 0o600
    text = file.read_bytes()
    assert json.loads(text)["format"] == signing.FORMAT
    assert b"PRIVATE KEY" not in text and b"CERTIFICATE" not in text
    der = generation.private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    assert der not in text


def test_the_certificate_is_self_issued_for_signing_only():
    certificate = signing.signing_generation().certificate
    assert certificate.subject == certificate.issuer
    usage = certificate.extensions.get_extension_for_class(signing.x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    assert not certificate.extensions.get_extension_for_class(signing.x509.BasicConstraints).value.ca


def test_rotation_adds_a_generation_that_signs_while_the_earlier_stay_trusted():
    first = signing.signing_generation()
    second = signing.rotate()
    assert second.number == 2
    assert signing.signing_generation().fingerprint == second.fingerprint
    assert [c.fingerprint(signing.hashes.SHA256()).hex() for c in signing.trusted_certificates()] == [
        first.fingerprint,
        second.fingerprint,
    ]
    assert signing.public_pem().count("BEGIN CERTIFICATE") == 2


def test_keys_are_read_again_after_keys_forget_and_stay_the_same():
    before = signing.signing_generation().fingerprint
    keys.forget()
    assert signing.signing_generation().fingerprint == before


def test_another_master_key_does_not_open_the_key_file(monkeypatch):
    signing.signing_generation()
    monkeypatch.setenv("YANPIAO_MASTER_KEY", "A" * 43 + "=")
    keys.forget()
    with pytest.raises(signing.KeyFileError, match="does not open with the master key"):
        signing.trusted_certificates()


def test_a_damaged_key_file_is_a_clear_error():
    signing.path().parent.mkdir(parents=True, exist_ok=True)
    signing.path().write_text("not json")
    with pytest.raises(signing.KeyFileError, match="not a certificate key file"):
        signing.keyring()


def test_public_certificates_are_read_from_pem_with_text_around_them():
    signing.signing_generation()
    signing.rotate()
    text = ("published by the operator\n" + signing.public_pem() + "\nend\n").encode()
    assert signing.load_public_certificates(text) == signing.trusted_certificates()


@pytest.mark.parametrize(
    "data", [b"", b"hello", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"]
)
def test_a_file_without_a_readable_certificate_is_refused(data):
    with pytest.raises(signing.PublicKeyFileError, match="no PEM certificate"):
        signing.load_public_certificates(data)
