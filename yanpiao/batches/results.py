"""A batch's result file, CSV or XLSX: one line per input row, in input order.

The columns (:data:`COLUMNS`; the header row gives their names): the row's number and where it
came from (the sheet row, the ZIP member), the key fields as submitted (the 校验码 masked as the
history keeps it, :func:`~yanpiao.access.masking.mask` by the field's declared mask), ``outcome`` (the outcome
words used everywhere: ``authentic``, ``mismatch`` …) and its description, the names of the
differing fields, the findings (``rule: message``), the risk (score, level, reasons as
``code: message``; :mod:`yanpiao.risk`), ``duplicate_of`` (the number of the first row
with the same code and number) and the verification's id.  A row the batch did not verify
(cancelled, failed) has no outcome.

- **CSV**: UTF-8 with a BOM (so a Chinese Excel opens it as UTF-8), CRLF lines.
- **XLSX** (openpyxl, write-only: rows go to temporary files, memory stays bounded): a summary
  sheet first (verifications by outcome, with a bar chart; rows, duplicates, the batch's status),
  then the rows, a sheet per million.

Cells a spreadsheet would take for a formula are written as text (in CSV after a ``'``, in XLSX as
a text cell): a typed invoice number cannot run in the reader's Excel.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator
from typing import IO

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference

from yanpiao import spreadsheets
from yanpiao.access.masking import mask
from yanpiao.batches import chunks
from yanpiao.batches.models import Batch
from yanpiao.batches.rows import FIELDS
from yanpiao.fapiao.compare import OUTCOMES
from yanpiao.fapiao.invoice import mask_of
from yanpiao.risk.codes import level
from yanpiao.verification.services import describe

FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
COLUMNS = (
    ("row", "行号"),
    ("source", "来源"),
    *(
        (name, label)
        for name, label in zip(
            FIELDS,
            ("发票类型", "发票代码", "发票号码", "开票日期", "金额", "校验码", "价税合计"),
            strict=True,
        )
    ),
    ("outcome", "查验结果"),
    ("description", "说明"),
    ("differences", "不一致的字段"),
    ("findings", "提示"),
    ("risk_score", "风险分"),
    ("risk_level", "风险等级"),
    ("risk_reasons", "风险原因"),
    ("duplicate_of", "重复于"),
    ("verification_id", "查验编号"),
)
HEADER = tuple(name for name, _ in COLUMNS)
# The columns holding text from the input (or messages quoting it): a formula there is written as text.
_TYPED = tuple(HEADER.index(name) for name in ("source", *FIELDS, "findings", "risk_reasons"))
OUTCOME = HEADER.index("outcome")
NOT_VERIFIED = "not_verified"  # the summary's name for rows the batch did not verify
XLSX_ROWS_PER_SHEET = 1_000_000
CSV_ROWS_PER_PIECE = 500


def filename(batch: Batch, file_format: str) -> str:
    stamp = timezone.localtime(batch.created_at).strftime("%Y%m%d-%H%M%S")
    return f"yanpiao-batch-{stamp}.{file_format}"


def rows(batch: Batch) -> Iterator[tuple]:
    """The result lines in input order, a chunk decrypted at a time."""
    for packed_rows, packed_results in chunks.chunk_results(batch):
        for position, (number, source, values, duplicate_of, *_) in enumerate(packed_rows):
            for index, kind in _MASKED:
                values[index] = mask(values[index], kind)
            if packed_results is None:
                yield (number, source, *values, "", "", "", "", "", "", "", duplicate_of, "")
                continue
            verification_id, outcome, differences, findings, _, risk_score, reasons = packed_results[position]
            yield (
                number,
                source,
                *values,
                outcome,
                _DESCRIPTIONS.get(outcome) or describe(outcome),
                ",".join(differences),
                "; ".join(f"{rule}: {message}" for rule, message in findings),
                risk_score,
                level(risk_score),
                "; ".join(f"{code}: {message}" for code, message in reasons),
                duplicate_of,
                verification_id,
            )


# The submitted fields masked as the history keeps them (mask_of: the 校验码), by position.
_MASKED = tuple((index, mask_of(name)) for index, name in enumerate(FIELDS) if mask_of(name))
_DESCRIPTIONS = {outcome: describe(outcome) for outcome in OUTCOMES}


def write(batch: Batch, file_format: str, stream: IO[bytes]) -> int:
    """The result file into the binary ``stream``; the rows written."""
    if file_format == "csv":
        return write_csv(batch, stream)
    if file_format == "xlsx":
        return write_xlsx(batch, stream)
    raise ValueError(f"format must be one of {', '.join(FORMATS)}")


def write_csv(batch: Batch, stream: IO[bytes]) -> int:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="", write_through=False)
    try:
        writer = csv.writer(text)
        writer.writerow(HEADER)
        count = 0
        for row in rows(batch):
            row = list(row)
            for index in _TYPED:
                row[index] = spreadsheets.csv_text(row[index] or "")
            writer.writerow(row)
            count += 1
        text.flush()
    finally:
        text.detach()  # the caller's stream stays open
    return count


def write_xlsx(batch: Batch, stream: IO[bytes]) -> int:
    workbook = Workbook(write_only=True)
    summary = workbook.create_sheet("汇总")
    sheet, outcomes, count = None, Counter(), 0
    for row in rows(batch):
        if count % XLSX_ROWS_PER_SHEET == 0:
            sheet = _rows_sheet(workbook, count // XLSX_ROWS_PER_SHEET)
        sheet.append([spreadsheets.xlsx_value(sheet, value) for value in row])
        outcomes[row[OUTCOME] or NOT_VERIFIED] += 1
        count += 1
    if sheet is None:
        _rows_sheet(workbook, 0)
    _summary(summary, batch, outcomes, count)
    workbook.save(stream)
    return count


def _rows_sheet(workbook: Workbook, number: int):
    sheet = workbook.create_sheet("查验结果" if number == 0 else f"查验结果 {number + 1}")
    sheet.freeze_panes = "A2"
    sheet.append(list(HEADER))
    return sheet


def _summary(sheet, batch: Batch, outcomes: Counter, count: int) -> None:
    """Verifications by outcome (every outcome, then rows not verified if any), a bar chart of
    them, and the batch's figures."""
    names = [*OUTCOMES, *([NOT_VERIFIED] if outcomes[NOT_VERIFIED] else [])]
    sheet.append(["outcome", "count", "description"])
    for name in names:
        sheet.append([name, outcomes[name], describe(name) if name in OUTCOMES else "未查验 — not verified"])
    sheet.append([])
    for label, value in (
        ("rows", count),
        ("duplicates", batch.duplicates),
        ("status", batch.status),
        ("file", spreadsheets.xlsx_value(sheet, batch.name)),
        ("batch", str(batch.public_id)),
    ):
        sheet.append([label, value])
    chart = BarChart()
    chart.title = "查验结果 outcomes"
    chart.legend = None
    chart.add_data(Reference(sheet, min_col=2, min_row=1, max_row=1 + len(names)), titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=1 + len(names)))
    sheet.add_chart(chart, "E2")
