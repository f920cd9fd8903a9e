"""Every real OFD and 数电 XML in shared/samples/real yields the key fields of its manifest row.

The samples are real invoices from public repositories and stay outside this repository;
the tests skip when the folder is absent (a user's fresh clone).
"""

import csv
from pathlib import Path

import pytest

from yanpiao.fapiao.findings import ERROR
from yanpiao.intake.reader import extract

REAL = Path(__file__).resolve().parents[3] / "shared" / "samples" / "real"
TEST_ENVIRONMENT = "ofd/ofdrw_converter_发票示例.ofd"
# manifest column → candidate field
KEY_FIELDS = {
    "code": "code",
    "number": "number",
    "date": "issue_date",
    "amount_excl_tax": "amount",
    "total_incl_tax": "total",
    "check_code": "check_code",
}


def _rows() -> list:
    manifest = REAL / "manifest.tsv"
    if not manifest.exists():
        return [pytest.param(None, id="absent")]
    with manifest.open(encoding="utf-8", newline="") as lines:
        rows = [row for row in csv.DictReader(lines, delimiter="\t") if row["format"] in ("OFD", "XML")]
    return [pytest.param(row, id=row["file"]) for row in rows]


def _candidate(row):
    if row is None:
        pytest.skip("../shared/samples/real is absent (a user's fresh clone)")
    extraction = extract((REAL / row["file"]).read_bytes())
    assert extraction.format == row["format"].lower()
    assert len(extraction.candidates) == 1
    return extraction.candidates[0]


@pytest.mark.parametrize("row", _rows())
def test_every_key_field_of_the_manifest_is_extracted(row):
    candidate = _candidate(row)
    expected = {field: row[column] for column, field in KEY_FIELDS.items() if row[column]}
    read = {field: candidate.get(field) for field in expected}
    assert read == expected


@pytest.mark.parametrize("row", _rows())
def test_only_the_test_environment_invoice_is_flagged(row):
    candidate = _candidate(row)
    flagged = [f for f in candidate.findings if f.rule == "document.test_environment"]
    if row["file"] == TEST_ENVIRONMENT:
        assert [(f.field, f.severity) for f in flagged] == [("document", ERROR)]
        assert candidate.refused
    else:
        assert flagged == [] and not candidate.refused


@pytest.mark.parametrize("row", _rows())
def test_the_real_invoices_are_consistent(row):
    """Their places, QR code, 大写 and arithmetic all agree: no finding at all."""
    candidate = _candidate(row)
    others = [f for f in candidate.findings if f.rule != "document.test_environment"]
    assert others == []
    if row["format"] == "OFD":
        assert candidate.qr["number"] == row["number"]


PNG_QR = {
    "ofd/CoderWanFeng__examples__dev__ofd__suzhou.ofd": "01,32,,24322000000400497801,456.00,20241017,,A90B",
    "ofd/sssxyd__learning__fapiao.ofd": "01,31,,24412000000243455703,180.00,20241231,,9F9C",
}


@pytest.mark.parametrize("name", sorted(PNG_QR))
def test_a_qr_code_embedded_as_a_png_image_is_decoded(name):
    if not (REAL / name).is_file():
        pytest.skip("../shared/samples/real is absent (a user's fresh clone)")
    [candidate] = extract((REAL / name).read_bytes()).candidates
    number, total, date = PNG_QR[name].split(",")[3:6]
    assert candidate.qr["number"] == number and candidate.qr["total"] == total
    assert candidate.qr["issue_date"] == f"{date[:4]}-{date[4:6]}-{date[6:]}"
    assert candidate.sources["number"] != "qr"  # the document's own data agrees with its QR code
