"""Real invoices (PDF text layers, a screenshot, a scanned specimen) read from shared/samples/real.

The files carry real companies' data, so they stay outside the repository: these tests skip
when the folder is absent (a user's fresh clone).  Every key field the manifest lists must be
extracted exactly, from the QR code or from the printed text.
"""

from __future__ import annotations

import csv
import functools
from decimal import Decimal
from pathlib import Path

import pytest

from yanpiao.intake import reader
from yanpiao.intake.candidate import Candidate
from yanpiao.intake.limits import RefusedDocument

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples" / "real"
NOT_AN_INVOICE = "pdf/clm1100__pdf__2.pdf"
SPECIMEN = "img/guanshuicheng__test-invoice__增值税专用发票.jpg"
# Manifest columns → candidate fields.
KEY_COLUMNS = {
    "code": "code",
    "number": "number",
    "date": "issue_date",
    "amount_excl_tax": "amount",
    "total_incl_tax": "total",
    "check_code": "check_code",
}

pytestmark = pytest.mark.skipif(
    not (SAMPLES / "manifest.tsv").is_file(),
    reason=f"{SAMPLES} is absent (a user's fresh clone): the real samples are not part of the repository",
)


def _rows() -> list[dict[str, str]]:
    if not (SAMPLES / "manifest.tsv").is_file():
        return []
    with (SAMPLES / "manifest.tsv").open(encoding="utf-8") as manifest:
        return [
            row for row in csv.DictReader(manifest, delimiter="\t") if row["format"] in ("PDF", "PNG", "JPEG")
        ]


INVOICE_ROWS = [row for row in _rows() if row["file"] != NOT_AN_INVOICE]


@functools.cache
def extract(name: str) -> Candidate:
    [candidate] = reader.extract((SAMPLES / name).read_bytes()).candidates
    return candidate


def test_the_manifest_lists_every_pdf_and_image():
    files = {row["file"] for row in _rows()}
    on_disk = {f"{p.parent.name}/{p.name}" for folder in ("pdf", "img") for p in (SAMPLES / folder).iterdir()}
    assert files == on_disk


@pytest.mark.parametrize("row", INVOICE_ROWS, ids=[row["file"] for row in INVOICE_ROWS])
def test_every_key_field_is_extracted_exactly(row):
    candidate = extract(row["file"])
    expected = {field: row[column] for column, field in KEY_COLUMNS.items() if row[column]}
    got = {field: candidate.get(field) for field in expected}
    for field in ("amount", "total"):
        if field in got and got[field]:
            got[field] = format(Decimal(got[field]), "f")
    assert got == expected
    assert candidate.has_key


@pytest.mark.parametrize("row", INVOICE_ROWS, ids=[row["file"] for row in INVOICE_ROWS])
def test_the_printed_text_agrees_with_the_qr_code(row):
    candidate = extract(row["file"])
    for field, value in candidate.qr.items():
        assert candidate.sources[field] in ("text", "ocr", "qr")
        if field in ("amount", "total"):
            assert Decimal(candidate.get(field)) == Decimal(value)
        elif field != "type":
            assert candidate.get(field) == value
    assert not [
        f for f in candidate.findings if f.rule.startswith(("consistency", "arithmetic", "amount_words"))
    ]


def test_qr_and_text_sources_of_the_pdfs():
    for row in INVOICE_ROWS:
        if not row["file"].startswith("pdf/"):
            continue
        candidate = extract(row["file"])
        assert candidate.qr, row["file"]  # every real invoice PDF here embeds its QR code
        assert candidate.sources["number"] == "text", row["file"]


def test_parties_and_items_of_the_pdfs():
    for row in INVOICE_ROWS:
        candidate = extract(row["file"])
        if not row["file"].startswith("pdf/yooongchun__example__9"):
            continue
        # These files are named after the seller's tax ID.
        assert candidate.get("seller.tax_id") == Path(row["file"]).name.split("__")[-1].split("_")[0]
        items = candidate.get("items")
        assert sum(Decimal(item["amount"]) for item in items) == Decimal(candidate.get("amount"))
    digital = extract("pdf/wanglia101511__发票.pdf")
    assert digital.get("type") == "31"
    assert digital.get("buyer.name").endswith("有限公司") and digital.get("seller.name").endswith("有限公司")
    assert digital.get("items")[0]["tax_rate"] == "0.13"


def test_the_freight_receipt_is_refused_as_not_an_invoice():
    with pytest.raises(RefusedDocument) as refused:
        reader.extract((SAMPLES / NOT_AN_INVOICE).read_bytes())
    assert refused.value.reason == "not_invoice"
    assert "not an invoice" in refused.value.message
    assert "货票收款凭证" in refused.value.message


def test_the_specimen_is_flagged():
    candidate = extract(SPECIMEN)
    assert candidate.qr == {}  # it has no QR code: every field is read by OCR
    assert {candidate.sources[name] for name in ("code", "number", "issue_date", "amount", "total")} == {
        "ocr"
    }
    [specimen] = [f for f in candidate.findings if f.rule == "document.specimen"]
    assert specimen.severity == "warning" and "测试" in specimen.message


def test_the_specimen_never_verifies_authentic(db):
    from yanpiao.verification import services

    [result] = services.verify_document((SAMPLES / SPECIMEN).read_bytes()).results
    assert result.outcome == "not_found"
    assert "document.specimen" in [f.rule for f in result.findings]
