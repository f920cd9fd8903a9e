"""The entry point: a batch file's format is told from its first bytes, and a file that is no
batch is refused when it is handed in, before any row."""

import io
import os
import zipfile
from pathlib import Path

import pytest
import segno
from openpyxl import Workbook

from tests import factories
from yanpiao.batches import tables
from yanpiao.batches.reading import format_of, read_rows
from yanpiao.batches.rows import BatchRefused
from yanpiao.documents.ofd import render_ofd
from yanpiao.documents.pdf import render_pdf

DATA = Path(__file__).parent / "data"
CSV = "发票号码,开票日期,价税合计\n26427000000375586818,2026-04-30,10.70\n".encode()
JSON_LINES = b'{"number": "26427000000375586818", "issue_date": "2026-04-30", "total": "10.70"}\n'


def png(text: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(text).save(buffer, kind="png")
    return buffer.getvalue()


def saved(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def xlsx(tmp_path: Path, name: str = "a.xlsx") -> Path:
    workbook = Workbook()
    workbook.active.append(["发票号码", "开票日期", "价税合计"])
    workbook.active.append(["26427000000375586818", "2026-04-30", "10.70"])
    workbook.save(tmp_path / name)
    return tmp_path / name


def refusal(path: Path, name: str = "") -> BatchRefused:
    with pytest.raises(BatchRefused) as refused:
        read_rows(path, name)
    assert refused.value.message
    return refused.value


def test_each_format_is_told_from_the_content_whatever_the_name(tmp_path):
    zipped = tmp_path / "a.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("a.pdf", render_pdf(factories.invoice("32")))
    files = {
        "csv": saved(tmp_path, "upload-1", CSV),
        "jsonl": saved(tmp_path, "upload-2", JSON_LINES),
        "xlsx": xlsx(tmp_path, "upload-3"),
        "xls": DATA / "sample.xls",
        "zip": zipped,
    }
    assert {format_of(path): format for format, path in files.items()} == {f: f for f in files}
    for format, path in files.items():
        [row, *_] = read_rows(path)
        assert row.number == 1 and row.fields["number"], format


def test_the_name_only_hints_text_that_starts_like_json_may_be_a_csv(tmp_path):
    path = saved(tmp_path, "a", b'{"x"},number,issue_date,total\n')
    assert format_of(path) == "jsonl"
    assert format_of(path, "清单.CSV") == "csv"


def test_an_empty_file_is_refused_as_empty(tmp_path):
    for data in (b"", b"\n\n  \r\n", b"\xef\xbb\xbf"):
        assert refusal(saved(tmp_path, "a.csv", data)).reason == "empty"


@pytest.mark.parametrize(
    "name, data",
    [
        ("a.png", png("01,32,,26427000000375586818,10.70,20260430,,A1B2")),
        ("a.pdf", render_pdf(factories.invoice("32"))),
        ("a.csv", os.urandom(4096)),
        ("a.xlsx", b"\x7fELF\x02\x01\x01" + bytes(range(256))),
        ("a.xls", "<html><table><tr><td>发票号码</td></tr></table></html>".encode()),
        ("a.json", b'[{"number": "26427000000375586818"}]'),
    ],
)
def test_a_file_that_is_no_table_is_refused_as_not_table(tmp_path, name, data):
    assert refusal(saved(tmp_path, name, data), name).reason == "not_table"


def test_an_ofd_is_a_document_not_a_batch(tmp_path):
    refused = refusal(saved(tmp_path, "a.ofd", render_ofd(factories.invoice("32"))))
    assert refused.reason == "not_table" and "OFD" in refused.message


def test_a_word_document_is_no_workbook(tmp_path):
    path = tmp_path / "a.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    assert refusal(path).reason == "not_table"


def test_an_encrypted_or_damaged_xls_is_unreadable(tmp_path):
    damaged = saved(tmp_path, "a.xls", (DATA / "sample.xls").read_bytes()[:1024])
    assert refusal(damaged).reason == "unreadable"


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(tables, "MAX_BYTES", 10)
    refused = refusal(saved(tmp_path, "a.csv", CSV))
    assert refused.reason == "too_large"


def test_a_folder_or_a_missing_file_is_unreadable(tmp_path):
    assert refusal(tmp_path).reason == "unreadable"
    assert refusal(tmp_path / "missing.csv").reason == "unreadable"


def test_rows_are_read_only_when_asked_for(tmp_path):
    path = saved(tmp_path, "a.csv", CSV)
    rows = read_rows(path)
    path.unlink()  # the file is open already: the rows still come
    assert [row.fields["total"] for row in rows] == ["10.70"]
