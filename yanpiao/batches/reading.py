"""The one entry point to a batch's input: which format a file is, and its rows.

:func:`read_rows` tells the format from the file's first bytes — never from its name alone — and
hands the file to its reader: :mod:`~yanpiao.batches.tables` (CSV, XLSX, XLS, JSON Lines) or
:mod:`~yanpiao.batches.archives` (a ZIP of documents).  Whatever cannot be a batch is refused with
:class:`~yanpiao.batches.rows.BatchRefused` when :func:`read_rows` is called, before any row:
an empty file, a document or picture or other binary file (``not_table``), a table without its
key columns, a file over :data:`~yanpiao.batches.tables.MAX_BYTES`, a hostile archive.  The rows
then come one at a time, in input order: a 1,000,000-row CSV is read in bounded memory.

>>> import tempfile
>>> with tempfile.NamedTemporaryFile(suffix=".csv") as file:
...     _ = file.write("发票号码,开票日期,价税合计\\n26427000000375586818,2026/4/30,10.70\\n".encode())
...     file.flush()
...     [row.fields["issue_date"] for row in read_rows(Path(file.name))]
['2026-04-30']
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path

from yanpiao.batches import archives, tables
from yanpiao.batches.rows import BatchRefused, InputRow
from yanpiao.intake import reader

FORMATS = ("csv", "xlsx", "xls", "jsonl", "zip")
HEAD = 8 * 1024  # bytes looked at to tell the format
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the compound file of XLS (and of Word 97, and of encrypted XLSX)
ZIP = (b"PK\x03\x04", b"PK\x05\x06")  # an archive's first member, or the end of an empty one
# Names whose text is a table even when it starts like JSON.
TEXT_TABLE_SUFFIXES = (".csv", ".tsv", ".txt")
_DOCUMENTS = {"pdf": "a PDF", "image": "a picture", "xml": "XML or HTML (a web page saved as .xls too)"}


def read_rows(path: Path, name: str = "") -> Iterator[InputRow]:
    """The rows of a batch file; ``name`` is its name as uploaded (a hint only).

    Raises :class:`BatchRefused` at the call when the file is no batch; the rows are read lazily.
    """
    path = Path(path)
    file_format = format_of(path, name)
    if file_format == "zip":
        return archives.document_rows(path)
    if path.stat().st_size > tables.MAX_BYTES:
        raise BatchRefused(
            "too_large",
            f"文件过大。The file is {path.stat().st_size / 1e6:,.0f} MB; the limit is {tables.MAX_BYTES / 1e6:,.0f} MB",
        )
    if file_format == "csv":
        return tables.csv_rows(path)
    if file_format == "jsonl":
        return tables.json_lines_rows(path)
    return tables.workbook_rows(path, file_format)


def format_of(path: Path, name: str = "") -> str:
    """``csv``, ``xlsx``, ``xls``, ``jsonl`` or ``zip``, from the file's first bytes; raises
    :class:`BatchRefused` for an empty file or one that is no table."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(HEAD)
    except IsADirectoryError:
        raise BatchRefused("unreadable", "这是文件夹。A folder, not a file") from None
    except OSError as exc:
        raise BatchRefused("unreadable", f"无法读取文件。Cannot read the file: {exc.strerror}") from None
    text = head.removeprefix(codecs.BOM_UTF8)
    if not text.strip() and len(head) < HEAD:
        raise BatchRefused("empty", "文件是空的。The file is empty")
    if head.startswith(ZIP):
        return _zip_format(Path(path))
    if head.startswith(OLE2):
        return "xls"
    document = reader.sniff(head)
    if document in _DOCUMENTS:
        raise _not_table(
            f"{_DOCUMENTS[document]}, not a table: save a table as XLSX or CSV; verify a document on its "
            "own, or put documents in a ZIP"
        )
    if not tables.looks_like_text(head):
        raise _not_table("binary data, not a table")
    if text.lstrip().startswith(b"{") and not name.lower().endswith(TEXT_TABLE_SUFFIXES):
        return "jsonl"
    if text.lstrip().startswith(b"["):
        raise _not_table("a JSON array: write one JSON object per line (JSON Lines)")
    return "csv"


def _zip_format(path: Path) -> str:
    kind = archives.kind_of(path)
    if kind == "ofd":
        raise _not_table("an OFD document, not a batch: verify it on its own, or put documents in a ZIP")
    if kind == "office":
        raise _not_table("an Office document that is not a workbook (Word, PowerPoint…)")
    return kind


def _not_table(what: str) -> BatchRefused:
    return BatchRefused("not_table", f"这不是表格。The file is {what}")
