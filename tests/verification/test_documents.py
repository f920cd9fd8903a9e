"""Round trip: what the registry renders, intake reads back and verification finds authentic.

Demo invoices of every type are registered, rendered as PDF, OFD, 数电 XML, QR payload and
simulated phone photo, read back by the intake readers and verified through the service.
Tampered copies (one printed non-key field changed, the QR code left alone) must come out
``tampered`` naming that field.
"""

import datetime
from collections import Counter

import pytest

from tests.support.photo import simulate_photo
from tests.support.tamper import tamper
from yanpiao.demo.generator import generate
from yanpiao.documents.einvoice_xml import render_xml
from yanpiao.documents.ofd import render_ofd
from yanpiao.documents.pdf import render_pdf
from yanpiao.fapiao import qr, types
from yanpiao.fapiao.invoice import format_amount
from yanpiao.intake import reader
from yanpiao.intake.limits import RefusedDocument
from yanpiao.registry.services import BulkRegistration
from yanpiao.verification.services import verify_document

pytestmark = pytest.mark.django_db

END = datetime.date(2026, 6, 30)
PER_TYPE = 25  # 8 types x 25 = 200 invoices


@pytest.fixture(scope="module")
def sample():
    """Normal, non-red-letter demo invoices: PER_TYPE of each type."""
    wanted: dict[str, list] = {t: [] for t in types.NAMES}
    for invoice in generate(20_000, seed=11, end_date=END):
        bucket = wanted[invoice.type]
        if invoice.status == "normal" and not invoice.red_letter_of and len(bucket) < PER_TYPE:
            bucket.append(invoice)
        if all(len(b) == PER_TYPE for b in wanted.values()):
            break
    invoices = [inv for bucket in wanted.values() for inv in bucket]
    assert len(invoices) == PER_TYPE * len(types.NAMES)
    return invoices


@pytest.fixture
def registered(sample):
    with BulkRegistration(reason="test") as registration:
        registration.write(sample)
    return sample


def key_fields(invoice) -> dict:
    fields = {"code": invoice.code, "number": invoice.number, "issue_date": invoice.issue_date.isoformat()}
    fields["total" if types.is_digital(invoice.type) else "amount"] = format_amount(
        invoice.total if types.is_digital(invoice.type) else invoice.amount
    )
    return fields


def recovered(extraction, invoice) -> bool:
    want = key_fields(invoice)
    return any(
        all(
            str(candidate.get(name)) == value or candidate.qr.get(name) == value
            for name, value in want.items()
            if value
        )
        for candidate in extraction.candidates
    )


def qr_payload(invoice) -> bytes:
    amount = invoice.total if types.is_digital(invoice.type) else invoice.amount
    return qr.build(
        invoice.type, invoice.code, invoice.number, amount, invoice.issue_date, invoice.check_code
    ).encode()


RENDERERS = {
    "pdf": render_pdf,
    "ofd": render_ofd,
    "xml": render_xml,
    "qr": qr_payload,
}


@pytest.mark.parametrize("format", RENDERERS)
def test_every_document_is_read_and_verifies_authentic(registered, format):
    render = RENDERERS[format]
    outcomes = Counter()
    for invoice in registered:
        if format == "xml" and not types.is_digital(invoice.type):
            continue
        data = render(invoice)
        assert recovered(reader.extract(data), invoice), (
            f"{format}: key fields of {invoice.key} not recovered"
        )
        document = verify_document(data)
        outcomes.update(r.outcome for r in document.results)
        assert [r.outcome for r in document.results] == ["authentic"], (invoice.key, document.to_json())
    assert outcomes["authentic"] >= (PER_TYPE * 2 if format == "xml" else len(registered))


def test_photos_recover_the_key_fields_of_at_least_98_percent(registered):
    failures = []
    for seed, invoice in enumerate(registered):
        try:
            photo = simulate_photo(render_pdf(invoice), seed=seed)
            ok = recovered(reader.extract(photo, ocr_content=False), invoice)
        except RefusedDocument:
            ok = False
        if ok:
            outcomes = [r.outcome for r in verify_document(photo).results]
            assert outcomes == ["authentic"], (invoice.key, outcomes)
        else:
            failures.append(str(invoice.key))
    rate = 1 - len(failures) / len(registered)
    assert rate >= 0.98, f"recovered {rate:.1%}; failed: {failures[:10]}"


@pytest.mark.parametrize("format", ["pdf", "ofd", "xml"])
def test_tampered_copies_verify_tampered_and_name_the_field(registered, format):
    for seed, invoice in enumerate(registered):
        if format == "xml" and not types.is_digital(invoice.type):
            continue
        forged, changed = tamper(invoice, seed=seed)
        if format == "xml":
            data = render_xml(forged)
        else:
            render = render_pdf if format == "pdf" else render_ofd
            data = render(forged, qr_payload=qr_payload(invoice).decode())
        [result] = verify_document(data).results
        assert result.outcome == "tampered", (invoice.key, changed, result.to_json())
        assert changed in [d.field for d in result.differences], (changed, result.differences)
