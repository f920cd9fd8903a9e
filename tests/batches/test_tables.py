"""Tables of invoices — CSV, XLSX, XLS, JSON Lines — read as rows, and refused when they are no batch."""

import codecs
import datetime
import json
import tracemalloc
from pathlib import Path

import pytest
from openpyxl import Workbook

from yanpiao.batches import tables
from yanpiao.batches.reading import read_rows
from yanpiao.batches.rows import BatchRefused

DATA = Path(__file__).parent / "data"
HEADER = ["发票代码", "发票号码", "开票日期", "金额", "校验码", "价税合计"]
ROW = ["011001605111", "01897389", "2025-03-01", "3460.48", "227858", ""]
FIELDS = {
    "type": "", "code": "011001605111", "number": "01897389", "issue_date": "2025-03-01",
    "amount": "3460.48", "check_code": "227858", "total": "",
}  # fmt: skip


def write_csv(path: Path, lines: list[list[str]], encoding="utf-8", delimiter=",") -> Path:
    path.write_bytes("".join(delimiter.join(cells) + "\r\n" for cells in lines).encode(encoding))
    return path


def write_xlsx(path: Path, *sheets: tuple[str, list[list]]) -> Path:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets:
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


def refusal(path: Path) -> BatchRefused:
    with pytest.raises(BatchRefused) as refused:
        read_rows(path)  # refused at the call, before any row is asked for
    assert refused.value.message
    return refused.value


# --- CSV -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_a_csv_in_any_encoding_excel_or_wps_save_reads_the_same(tmp_path, encoding):
    [row] = read_rows(write_csv(tmp_path / "发票.csv", [HEADER, ROW], encoding))
    assert row.fields == FIELDS and row.number == 1 and row.source == "row 2"


@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_the_delimiter_is_a_comma_a_tab_or_a_semicolon(tmp_path, delimiter):
    [row] = read_rows(write_csv(tmp_path / "a.csv", [HEADER, ROW], delimiter=delimiter))
    assert row.fields == FIELDS


def test_english_headers_in_another_order_give_the_same_fields(tmp_path):
    header = ["total", "check_code", "amount", "issue_date", "number", "code", "remarks"]
    row = ["", "227858", "3460.48", "2025/3/1", "01897389", "011001605111", "月度采购"]
    assert [r.fields for r in read_rows(write_csv(tmp_path / "a.csv", [header, row]))] == [FIELDS]


def test_quoted_fields_with_commas_and_line_breaks_are_one_cell(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text(
        '发票号码,开票日期,价税合计,备注\n26427000000375586818,2026-04-30,"1,070.00","两行\n备注"\n'
    )
    [row] = read_rows(path)
    assert row.fields["total"] == "1,070.00" and row.fields["number"] == "26427000000375586818"


def test_blank_lines_are_passed_over_numbers_count_rows_sources_name_the_spreadsheet_row(tmp_path):
    lines = [
        ["发票清单（2025年3月）"],
        [],
        HEADER,
        ROW,
        [],
        [",,,,,"],
        ["", "12345678", "2025-03-02", "", "", "9.00"],
    ]
    rows = list(read_rows(write_csv(tmp_path / "a.csv", lines)))
    assert [(r.number, r.source) for r in rows] == [(1, "row 4"), (2, "row 7")]


def test_a_row_with_only_a_serial_number_or_a_remark_is_blank(tmp_path):
    lines = [["序号", *HEADER, "备注"], ["1", *ROW, ""], ["2", "", "", "", "", "", "", "作废"]]
    assert [r.number for r in read_rows(write_csv(tmp_path / "a.csv", lines))] == [1]


def test_short_rows_lack_the_fields_at_their_end(tmp_path):
    [row] = read_rows(write_csv(tmp_path / "a.csv", [HEADER, ["", "01897389", "2025-03-01"]]))
    assert row.fields["number"] == "01897389" and row.fields["amount"] == row.fields["total"] == ""


def test_bad_values_are_rows_as_typed_for_verification_to_call_invalid(tmp_path):
    lines = [HEADER, ["", "1897389", "2025-02-30", "三千", "", ""], ["", "", "昨天", "", "", ""]]
    first, second = read_rows(write_csv(tmp_path / "a.csv", lines))
    assert (first.fields["number"], first.fields["issue_date"], first.fields["amount"]) == (
        "1897389",  # typed as text: no zero is added
        "2025-02-30",
        "三千",
    )
    assert second.fields["issue_date"] == "昨天" and second.fields["number"] == ""


def test_a_file_that_mixes_utf8_and_gbk_is_refused_rather_than_garbled(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(
        ",".join(HEADER).encode()
        + b"\n"
        + ",".join(["", "01897389", "2025-03-01", "1.00", "", ""]).encode()
        + "\n备注".encode("gbk")
    )
    assert refusal(path).reason == "unreadable"


def test_text_in_no_known_encoding_is_refused(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(",".join(HEADER).encode() + b"\n" + b"\x80\xff" * 10)
    assert refusal(path).reason == "unreadable"


def test_a_quote_never_closed_ends_the_table_with_an_unreadable_row(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text(",".join(HEADER) + "\n" + ",".join(ROW) + '\n,"12345678\n' + "x\n" * 140_000)
    first, last = read_rows(path)
    assert first.fields == FIELDS
    assert last.number == 2 and [f.rule for f in last.document_findings] == ["row.unreadable"]
    assert last.document_findings[0].severity == "error"


# --- refusals ----------------------------------------------------------------------------------


def test_missing_key_columns_are_refused_and_named(tmp_path):
    refused = refusal(
        write_csv(tmp_path / "a.csv", [["发票代码", "发票号码", "备注"], ["1100244320", "01897389", ""]])
    )
    assert refused.reason == "missing_columns"
    assert "开票日期 (issue_date)" in refused.message and "amount, check_code or total" in refused.message
    assert "发票代码, 发票号码, 备注" in refused.message  # what the header does say


def test_a_table_without_any_known_column_is_refused_as_missing_columns(tmp_path):
    refused = refusal(write_csv(tmp_path / "a.csv", [["name", "age"], ["张三", "30"]]))
    assert refused.reason == "missing_columns" and "发票号码 (number)" in refused.message


def test_a_header_without_rows_is_empty(tmp_path):
    assert refusal(write_csv(tmp_path / "a.csv", [HEADER, [], [",,,,,"]])).reason == "empty"


def test_blank_lines_only_are_empty(tmp_path):
    assert refusal(write_csv(tmp_path / "a.csv", [[], [",,,"], ["  "]])).reason == "empty"


# --- workbooks -----------------------------------------------------------------------------------


def test_an_xlsx_with_numbers_and_date_cells_reads_as_typed_text(tmp_path):
    path = write_xlsx(
        tmp_path / "发票.xlsx",
        ("Sheet1", [
            ["序号", "发票代码", "发票号码", "开票日期", "金额（不含税）", "校验码后六位"],
            [1, 11001605111, 1897389, datetime.date(2025, 3, 1), 3460.48, 27858],
            [2, 1100244320, "00012345", datetime.datetime(2025, 3, 7, 9, 30), 5000, "027858"],
            [3, None, 24112000000048542163, "2025年3月1日", 0.1, None],
        ]),
    )  # fmt: skip
    rows = list(read_rows(path))
    assert [(r.fields["code"], r.fields["number"], r.fields["issue_date"]) for r in rows] == [
        ("011001605111", "01897389", "2025-03-01"),
        ("1100244320", "00012345", "2025-03-07"),
        ("", "2.411200000004854e+19", "2025-03-01"),  # Excel kept 15 digits: the number is lost
    ]
    assert [r.fields["amount"] for r in rows] == ["3460.48", "5000", "0.1"]
    assert [r.fields["check_code"] for r in rows] == ["027858", "027858", ""]
    assert [r.source for r in rows] == ["Sheet1 row 2", "Sheet1 row 3", "Sheet1 row 4"]


def test_the_first_sheet_with_a_complete_header_is_read(tmp_path):
    path = write_xlsx(
        tmp_path / "a.xlsx",
        ("说明", [["请在第二张表中填写发票"]]),
        ("部分", [["发票号码", "备注"], ["01897389", ""]]),
        ("发票", [[], ["三月发票"], HEADER, ROW]),
    )
    [row] = read_rows(path)
    assert row.fields == FIELDS and row.source == "发票 row 4"


def test_a_workbook_without_a_complete_sheet_is_refused_with_its_most_promising_sheet(tmp_path):
    path = write_xlsx(
        tmp_path / "a.xlsx", ("说明", [["请填写"]]), ("发票", [["发票号码", "金额"], ["01897389", "1"]])
    )
    refused = refusal(path)
    assert (
        refused.reason == "missing_columns"
        and "发票 row 1" in refused.message
        and "开票日期" in refused.message
    )


def test_an_empty_workbook_is_empty(tmp_path):
    assert refusal(write_xlsx(tmp_path / "a.xlsx", ("Sheet1", []))).reason == "empty"


def test_an_xls_workbook_is_read_with_its_numbers_and_dates(tmp_path):
    # sample.xls was written once by xlwt 1.3.0 (not a dependency): numbers, a date cell, a blank row.
    rows = list(read_rows(DATA / "sample.xls"))
    assert [r.fields for r in rows] == [
        {"type": "", "code": "011001605111", "number": "01897389", "issue_date": "2025-03-01",
         "amount": "3460.48", "check_code": "027858", "total": ""},
        {"type": "", "code": "1100244320", "number": "00012345", "issue_date": "2025-03-07",
         "amount": "5000", "check_code": "012345", "total": ""},
        {"type": "", "code": "", "number": "24112000000048542163", "issue_date": "2024-05-28",
         "amount": "", "check_code": "", "total": "4449"},
    ]  # fmt: skip
    assert [r.source for r in rows] == ["发票清单 row 2", "发票清单 row 3", "发票清单 row 5"]


def test_an_xlsx_that_unpacks_beyond_the_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    path = write_xlsx(tmp_path / "a.xlsx", ("Sheet1", [HEADER, *[ROW] * 2000]))
    monkeypatch.setattr(tables, "MAX_WORKBOOK_UNPACKED", 50_000)
    assert refusal(path).reason == "too_large"


def test_a_damaged_workbook_is_unreadable(tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", ("Sheet1", [HEADER, ROW]))
    path.write_bytes(path.read_bytes()[:-200])  # the central directory cut off
    assert refusal(path).reason == "unreadable"


# --- JSON Lines ----------------------------------------------------------------------------------


def test_json_lines_with_any_alias_as_keys(tmp_path):
    path = tmp_path / "a.jsonl"
    objects = [
        {"fpdm": "011001605111", "fphm": "01897389", "kprq": "20250301", "je": 3460.48, "jym": "227858"},
        {"发票号码": 1897389, "开票日期": "2025年3月1日", "金额": "3460.48", "发票代码": 11001605111},
    ]
    path.write_text("\n".join(json.dumps(o, ensure_ascii=False) for o in objects) + "\n\n")
    rows = list(read_rows(path))
    assert rows[0].fields == FIELDS
    assert rows[1].fields == {**FIELDS, "check_code": ""}
    assert [r.source for r in rows] == ["line 1", "line 2"]


def test_a_line_that_is_no_object_is_a_row_without_fields(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text('{"number": "01897389", "issue_date": "2025-03-01", "total": "9.00"}\n[1, 2]\n{broken\n')
    rows = list(read_rows(path))
    assert [r.number for r in rows] == [1, 2, 3]
    assert rows[1].fields == rows[2].fields == dict.fromkeys(FIELDS, "")


def test_json_lines_without_the_key_columns_are_refused(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text('{"number": "01897389", "name": "张三"}\n')
    refused = refusal(path)
    assert refused.reason == "missing_columns" and "开票日期 (issue_date)" in refused.message


# --- volume ----------------------------------------------------------------------------------------


def test_a_large_csv_is_read_one_row_at_a_time_in_bounded_memory(tmp_path):
    path = tmp_path / "large.csv"
    rows = 100_000
    with open(path, "w", encoding="utf-8") as out:
        out.write(",".join(HEADER) + "\n")
        for i in range(rows):
            out.write(
                f"0110024001{i % 90 + 10},{i:08d},2025-03-{i % 28 + 1:02d},{i % 9999}.{i % 100:02d},,\n"
            )
    tracemalloc.start()
    try:
        count = 0
        for row in read_rows(path):
            count += 1
            assert row.number == count
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == rows
    assert peak < 2 * 1024**2, f"peak {peak / 1e6:.1f} MB for a {path.stat().st_size / 1e6:.1f} MB file"


def test_the_csv_encoding_is_decided_over_the_whole_file(tmp_path):
    # GBK only on the last line: a decision on the first bytes would read it as mojibake.
    path = tmp_path / "a.csv"
    text = ",".join(HEADER) + "\n" + (",".join(ROW) + "\n") * 5000 + "0,01897390,2025-03-01,1.00,,,备注\n"
    path.write_bytes(text.encode("gbk"))
    assert tables.text_encoding(path) == "gb18030"
    assert codecs.lookup(tables.text_encoding(path)).name == "gb18030"


def test_a_workbook_is_read_by_its_content_whatever_its_name_says(tmp_path):
    """An XLSX saved as 清单.xls (or a temporary upload file named so) reads as the XLSX it is."""
    written = write_xlsx(
        tmp_path / "清单.xlsx",
        ("Sheet1", [["发票号码", "开票日期", "价税合计"], ["24112000000244272518", "2024-10-05", "5347.85"]]),
    )
    misnamed = written.rename(tmp_path / "清单.xls")
    [row] = read_rows(misnamed, "清单.xls")
    assert row.fields["number"] == "24112000000244272518" and row.fields["total"] == "5347.85"
