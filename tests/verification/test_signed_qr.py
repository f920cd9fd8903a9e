"""Verifying signed QR payloads: the answer says ``signature: valid | invalid | absent`` on every
channel; an altered signed payload is ``tampered`` whether or not the registry knows the invoice;
``yanpiao verify-file --offline`` checks signatures with neither the registry nor the history."""

import io
import json

import pytest
import segno

from tests import factories
from tests.test_cli import run
from yanpiao.access.disclosure import verification_answer
from yanpiao.fapiao import compare, qr
from yanpiao.registry import issuing
from yanpiao.security import qr_signature
from yanpiao.verification import services
from yanpiao.verification.models import Verification


def altered(payload: str) -> str:
    """The payload with its amount raised by one yuan, the signature field left as it was."""
    fields = payload.split(",")
    fields[4] = f"{qr.parse(payload).amount + 1:.2f}"
    return ",".join(fields)


def png(text: str) -> bytes:
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=6, border=4)
    return out.getvalue()


@pytest.mark.django_db
class TestVerifyDocument:
    def test_a_signed_payload_of_a_registered_invoice_is_authentic_and_valid(self, register, make_user):
        invoice = register(type="32")
        payload = issuing.signed_qr_payload(invoice)
        user = make_user()
        [result] = services.verify_document(payload.encode(), user).results
        assert (result.outcome, result.signature) == (compare.AUTHENTIC, "valid")
        assert result.to_json()["signature"] == "valid"
        stored = Verification.objects.get(public_id=result.verification_id)
        assert stored.submitted["document"]["signature"] == "valid"
        assert verification_answer(user, stored)["signature"] == "valid"

    def test_a_standard_payload_has_no_signature(self, register):
        invoice = register(type="04")
        [result] = services.verify_document(qr.of_invoice(invoice).encode()).results
        assert (result.outcome, result.signature) == (compare.AUTHENTIC, "absent")

    def test_typed_fields_have_no_signature_status(self, register, make_user):
        invoice = register(type="01")
        result = services.verify(factories.key_query(invoice), make_user())
        assert result.signature is None and result.to_json()["signature"] is None
        stored = Verification.objects.get(public_id=result.verification_id)
        assert verification_answer(stored.actor, stored)["signature"] is None

    @pytest.mark.parametrize("registered", [True, False])
    def test_an_altered_signed_payload_is_tampered_whether_or_not_the_registry_has_it(
        self, register, make_user, registered
    ):
        invoice = register(type="32") if registered else factories.invoice(type="32")
        forged = altered(issuing.signed_qr_payload(invoice))
        user = make_user()
        [result] = services.verify_document(forged.encode(), user).results
        assert (result.outcome, result.signature, result.invoice) == (compare.TAMPERED, "invalid", None)
        assert result.description == services.FORGED
        assert [f.rule for f in result.findings if f.severity == "error"] == ["qr.signature"]
        stored = Verification.objects.get(public_id=result.verification_id)
        assert (stored.outcome, stored.invoice_id) == ("tampered", None)
        shown = verification_answer(user, stored)
        assert (shown["outcome"], shown["signature"], shown["invoice"]) == ("tampered", "invalid", None)
        assert shown["description"] == services.FORGED

    def test_a_signature_from_another_invoice_is_tampered(self, register):
        mine, other = register(type="32"), register(type="32")
        signature_field = issuing.signed_qr_payload(other).rsplit(",", 1)[1]
        [result] = services.verify_document(f"{qr.of_invoice(mine)}{signature_field}".encode()).results
        assert (result.outcome, result.signature) == (compare.TAMPERED, "invalid")

    def test_a_photo_of_a_signed_qr_code_is_checked_too(self, register):
        invoice = register(type="10")
        payload = issuing.signed_qr_payload(invoice)
        [result] = services.verify_document(png(payload)).results
        assert (result.outcome, result.signature) == (compare.AUTHENTIC, "valid")
        [result] = services.verify_document(png(altered(payload))).results
        assert (result.outcome, result.signature) == (compare.TAMPERED, "invalid")

    def test_a_document_without_a_qr_code_has_no_signature_status(self, register):
        from yanpiao.documents import einvoice_xml

        invoice = register(type="32")
        [result] = services.verify_document(einvoice_xml.render_xml(invoice)).results
        assert result.outcome == compare.AUTHENTIC and result.signature is None


@pytest.mark.django_db
def test_the_qr_endpoint_reports_the_signature(client, register):
    invoice = register(type="32")
    payload = issuing.signed_qr_payload(invoice)
    for text, outcome, status in [
        (payload, "authentic", "valid"),
        (qr.of_invoice(invoice), "authentic", "absent"),
        (altered(payload), "tampered", "invalid"),
    ]:
        answer = client.post("/api/v1/verifications/qr", {"payload": text}, content_type="application/json")
        assert answer.status_code == 200, answer.content
        assert (answer.json()["outcome"], answer.json()["signature"]) == (outcome, status)


@pytest.mark.django_db(transaction=True)
def test_verify_file_prints_the_signature(capsys, register, tmp_path):
    invoice = register(type="32")
    good, bad = tmp_path / "good.txt", tmp_path / "bad.txt"
    good.write_text(issuing.signed_qr_payload(invoice) + "\n")
    bad.write_text(altered(issuing.signed_qr_payload(invoice)) + "\n")
    code, out, _ = run(capsys, "verify-file", str(good))
    assert code == 0 and "outcome: authentic" in out and "signature: valid" in out
    code, out, _ = run(capsys, "verify-file", str(bad))
    assert code == 1 and "outcome: tampered" in out and "signature: invalid" in out
    code, out, _ = run(capsys, "verify-file", "--json", str(good))
    assert json.loads(out)["results"][0]["signature"] == "valid"


def test_verify_file_offline_needs_no_database(capsys, tmp_path):
    """No ``db`` mark: any database access would fail the command (exit 70)."""
    invoice = factories.invoice(type="32")
    signed = qr_signature.sign(qr.of_invoice(invoice))
    good, bad, plain = tmp_path / "good.txt", tmp_path / "bad.txt", tmp_path / "plain.txt"
    good.write_text(signed)
    bad.write_text(altered(signed))
    plain.write_text(qr.of_invoice(invoice))

    code, out, err = run(capsys, "verify-file", "--offline", str(good))
    assert (code, err) == (0, "")
    assert "signature: valid" in out and "registry was not asked" in out and "outcome: not checked" in out
    assert invoice.number in out

    code, out, err = run(capsys, "verify-file", "--offline", str(bad))
    assert code == 1 and "outcome: tampered" in out and "signature: invalid" in out

    code, out, _ = run(capsys, "verify-file", "--offline", "--json", str(plain), str(bad))
    assert code == 1
    first, second = (json.loads(line) for line in out.splitlines())
    assert (first["offline"], first["results"][0]["signature"], first["results"][0]["outcome"]) == (
        True,
        "absent",
        None,
    )
    assert (second["results"][0]["outcome"], second["results"][0]["signature"]) == ("tampered", "invalid")


def test_verify_file_offline_refuses_what_is_not_a_document(capsys, tmp_path):
    junk = tmp_path / "junk.pdf"
    junk.write_text("not a pdf")
    code, _, err = run(capsys, "verify-file", "--offline", str(junk))
    assert code == 2 and "refused" in err and "Traceback" not in err
