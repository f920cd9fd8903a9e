"""Certificates through the API: fetched by whoever may see the check, checked by anyone, and the
online status a certificate's QR code opens."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import key_query
from yanpiao.certificates import services as certificates
from yanpiao.verification import services as verification

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def own_keys(own_keysets):
    return own_keysets


@pytest.fixture
def checked(register, make_user):
    """A user and the answer of their authentic check."""
    user = make_user()
    result = verification.verify(key_query(register(type="01")), actor=user)
    return user, result


def upload(client, data: bytes):
    return client.post("/api/v1/certificates/check", {"file": SimpleUploadedFile("c.pdf", data)})


def test_the_verifier_fetches_a_certificate_that_checks_genuine(client, api, bearer, checked):
    user, result = checked
    answer = api.get(f"/verifications/{result.verification_id}/certificate", **bearer(user))
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/pdf"
    found = upload(client, answer.content).json()
    assert (found["status"], found["genuine"]) == ("genuine", True)
    assert found["certifies"]["outcome"] == "authentic"


def test_a_certificate_changed_after_signing_is_not_genuine(client, api, bearer, checked):
    user, result = checked
    pdf = api.get(f"/verifications/{result.verification_id}/certificate", **bearer(user)).content
    middle = len(pdf) // 2
    altered = pdf[:middle] + bytes([pdf[middle] ^ 1]) + pdf[middle + 1 :]
    assert upload(client, altered).json()["status"] == "altered"
    assert upload(client, b"%PDF-1.4 not really").json()["status"] == "not_certificate"


def test_a_certificate_needs_the_history_scope_and_a_caller(api, bearer, checked):
    user, result = checked
    path = f"/verifications/{result.verification_id}/certificate"
    assert api.get(path).status_code == 401
    refused = api.get(path, **bearer(user, ["verify"]))
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "missing_scope")


def test_an_oversized_upload_is_413(client):
    assert upload(client, b"0" * (certificates.MAX_BYTES + 1)).status_code == 413


def test_the_online_status_answers_only_with_the_certificates_key(api, checked):
    _, result = checked
    path = f"/certificates/{result.verification_id}"
    found = api.get(f"{path}?key={certificates.check_key(result.verification_id)}")
    assert found.status_code == 200
    assert (found.json()["outcome"], found.json()["exists"]) == ("authentic", True)
    assert "invoice" not in found.json()
    assert api.get(path).status_code == 404
    assert api.get(f"{path}?key=wrong").status_code == 404
