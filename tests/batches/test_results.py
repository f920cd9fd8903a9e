"""Result files: one line per input row in input order, CSV that a Chinese Excel opens and XLSX
with a summary and its chart; check codes masked, formulas written as text."""

import csv
import io

import pytest
from openpyxl import load_workbook

from tests import factories
from tests.batches.test_services import table
from yanpiao.batches import chunks, results, services

pytestmark = pytest.mark.django_db


@pytest.fixture
def batch(tmp_path, register, settings):
    """Five rows: authentic, not found, authentic again (a duplicate), a typo, a mismatch."""
    settings.YANPIAO_BATCH_CHUNK_ROWS = 2
    genuine, other = register(type="04"), register(type="04")
    rows = [
        factories.key_query(genuine),
        {
            "type": "04",
            "code": genuine.code,
            "number": "99999999",
            "issue_date": "2025-03-07",
            "check_code": "123456",
        },
        factories.key_query(genuine),
        {"code": "=1+1", "number": "@SUM(A1)", "issue_date": "2025-03-07"},
        factories.key_query(other, check_code="000000"),
    ]
    created = services.create(None, table(tmp_path / "rows.csv", rows))
    chunks.work(created.pk)
    created.refresh_from_db()
    return created


def csv_lines(batch) -> tuple[str, list[dict]]:
    stream = io.BytesIO()
    assert results.write(batch, "csv", stream) == 5
    data = stream.getvalue()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with its BOM
    text = data.decode("utf-8-sig")
    return text, list(csv.DictReader(io.StringIO(text)))


def test_csv_has_a_line_per_row_in_input_order_with_its_outcome(batch):
    text, lines = csv_lines(batch)
    assert text.splitlines()[0].split(",") == list(results.HEADER)
    assert [line["row"] for line in lines] == ["1", "2", "3", "4", "5"]
    assert [line["outcome"] for line in lines] == [
        "authentic",
        "not_found",
        "authentic",
        "invalid",
        "mismatch",
    ]
    assert [line["duplicate_of"] for line in lines] == ["", "", "1", "", ""]
    assert [line["source"] for line in lines] == ["row 2", "row 3", "row 4", "row 5", "row 6"]
    assert lines[4]["differences"] == "check_code"
    assert lines[0]["description"].startswith("查验一致")
    assert all(line["verification_id"] for line in lines)


def test_check_codes_are_masked_as_the_history_keeps_them(batch):
    _, lines = csv_lines(batch)
    assert lines[0]["check_code"].startswith("****") and len(lines[0]["check_code"]) == 6
    assert lines[4]["check_code"] == "****00"


def test_cells_that_look_like_formulas_are_text(batch):
    _, lines = csv_lines(batch)
    assert (lines[3]["code"], lines[3]["number"]) == ("'=1+1", "'@SUM(A1)")
    stream = io.BytesIO()
    results.write(batch, "xlsx", stream)
    sheet = load_workbook(io.BytesIO(stream.getvalue()))["查验结果"]
    code = sheet.cell(row=5, column=results.HEADER.index("code") + 1)
    assert (code.value, code.data_type) == ("=1+1", "s")


def test_xlsx_opens_on_a_summary_with_a_chart_then_the_rows(batch):
    stream = io.BytesIO()
    assert results.write(batch, "xlsx", stream) == 5
    workbook = load_workbook(io.BytesIO(stream.getvalue()))
    assert workbook.sheetnames == ["汇总", "查验结果"]
    summary = workbook["汇总"]
    counts = {row[0]: row[1] for row in summary.iter_rows(min_row=2, max_row=9, values_only=True)}
    assert counts == {
        "authentic": 2, "tampered": 0, "mismatch": 1, "not_found": 1,
        "voided": 0, "red_flushed": 0, "abnormal": 0, "invalid": 1,
    }  # fmt: skip
    figures = {row[0]: row[1] for row in summary.iter_rows(min_row=11, values_only=True)}
    assert (figures["rows"], figures["duplicates"], figures["status"]) == (5, 1, "done")
    assert len(summary._charts) == 1
    header, *rows = workbook["查验结果"].iter_rows(values_only=True)
    assert header == results.HEADER
    outcome = header.index("outcome")
    assert [row[0] for row in rows] == [1, 2, 3, 4, 5]
    assert [row[outcome] for row in rows] == ["authentic", "not_found", "authentic", "invalid", "mismatch"]


def test_rows_a_cancelled_batch_did_not_verify_have_no_outcome(tmp_path, register, settings):
    settings.YANPIAO_BATCH_CHUNK_ROWS = 2
    invoices = [register(type="04") for _ in range(4)]
    batch = services.create(None, table(tmp_path / "rows.csv", [factories.key_query(i) for i in invoices]))
    chunks.process(batch, chunks.claim(batch.pk, "worker"), "worker")
    services.cancel(None, batch)
    stream = io.BytesIO()
    results.write(batch, "xlsx", stream)
    workbook = load_workbook(io.BytesIO(stream.getvalue()))
    header, *rows = workbook["查验结果"].iter_rows(values_only=True)
    assert [row[header.index("outcome")] for row in rows] == ["authentic", "authentic", None, None]
    summary = dict(row[:2] for row in workbook["汇总"].iter_rows(min_row=2, max_row=10, values_only=True))
    assert (summary["authentic"], summary[results.NOT_VERIFIED]) == (2, 2)
