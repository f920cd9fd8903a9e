"""Reading a table of invoices — CSV, XLSX, XLS or JSON Lines — as rows, streaming.

**The header** is the first non-empty row that names a known column (:mod:`~yanpiao.batches.columns`);
up to :data:`TITLE_ROWS` non-empty rows above it that name none (a title such as ``2025年3月发票清单``)
are passed over.  The file is refused (:class:`~yanpiao.batches.rows.BatchRefused`) before any row
is read when it has no such row, lacks a key column (the message names it), or has no data row.

**Rows.** A row none of whose known columns holds anything is blank and passed over: blank lines,
a row holding only a 序号 or a 备注.  ``InputRow.number`` counts the other rows from 1, without
gaps, in input order; ``InputRow.source`` names the row as the user sees it in a spreadsheet —
``row 12`` (a CSV record: the header and blank lines count, a quoted field spanning lines does
not), ``Sheet1 row 12`` (a workbook), ``line 12`` (JSON Lines).  Values: :mod:`~yanpiao.batches.values`.

**CSV** is UTF-8 (with or without a BOM), else GB18030 (a superset of GBK and GB2312), or UTF-16
with its BOM (Excel's "Unicode text"): the whole file is decoded strictly first, so a file is never
read in the wrong encoding halfway.  The delimiter (comma, tab or semicolon) is sniffed from the
first :data:`SAMPLE` characters, else a comma.  A record that cannot be parsed (a quote never
closed, swallowing more than the csv module's field limit) ends the table with a row that carries
the error finding ``row.unreadable``.

**XLSX and XLS** are read by calamine: the first worksheet with a header holding every key column,
else the refusal of the most promising sheet.  An XLSX is a ZIP: it is checked like one before
calamine unpacks it (:func:`~yanpiao.batches.archives.check_unpacked`, at most
:data:`MAX_WORKBOOK_UNPACKED`), since calamine holds a sheet in memory while it is read.

**JSON Lines**: one object per line, with the column names as keys; the key columns are checked
over the first :data:`JSON_SAMPLE` objects.  A line that is not a JSON object is a row without fields.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import Any

from python_calamine import CalamineError, CalamineWorkbook, PasswordError, SheetTypeEnum

from yanpiao.batches import archives
from yanpiao.batches.columns import header_map, missing_columns
from yanpiao.batches.rows import FIELDS, BatchRefused, InputRow
from yanpiao.batches.values import EMPTY, row_fields
from yanpiao.fapiao.findings import ERROR, Finding

MAX_BYTES = 1024**3  # a table file
MAX_WORKBOOK_UNPACKED = 512 * 1024**2  # an XLSX's members together: some 1.5 million rows of 7 columns
TITLE_ROWS = 10
SAMPLE = 16 * 1024  # characters, for the delimiter
JSON_SAMPLE = 100  # objects, for the key columns
_CHUNK = 256 * 1024  # bytes decoded at a time, to tell the encoding
# Control characters but tab, line ends, form feed and DOS's end of file.
_CONTROL = re.compile("[\x00-\x08\x0e-\x19\x1b-\x1f\x7f]")
_CONTROL_BYTES = re.compile(_CONTROL.pattern.encode())
_SHOWN_HEADERS = 12
_JSON_PLANS = 1000  # sets of keys remembered


@dataclass(frozen=True)
class Header:
    """The header row: its number as the user sees it, its cells, and the field of each known column."""

    line: int
    cells: list[Any]
    columns: dict[int, str]

    @property
    def missing(self) -> list[str]:
        return missing_columns(self.columns.values())

    def refusal(self, where: str) -> BatchRefused:
        shown = [text for cell in self.cells if (text := str(cell).strip())]
        return _missing(self.missing, f"the header ({where} {self.line})", shown)


def _missing(missing: list[str], where: str, found: list[str]) -> BatchRefused:
    shown = ", ".join(found[:_SHOWN_HEADERS]) + (", …" if len(found) > _SHOWN_HEADERS else "")
    return BatchRefused(
        "missing_columns",
        f"缺少必需的列。Missing key columns: {'; '.join(missing)}. In {where}: {shown or 'nothing'}",
    )


# --- CSV -------------------------------------------------------------------------------------


def csv_rows(path: Path) -> Iterator[InputRow]:
    """The rows of a CSV file; raises :class:`BatchRefused` at once when it is no batch."""
    encoding = text_encoding(path)
    with open(path, encoding=encoding, newline="") as handle:
        delimiter = _delimiter(handle.read(SAMPLE))
    handle = open(path, encoding=encoding, newline="")  # noqa: SIM115 - closed by the rows, or below
    try:
        return _table(enumerate(csv.reader(handle, delimiter=delimiter), start=1), "row", handle.close)
    except BaseException:
        handle.close()
        raise


def text_encoding(path: Path) -> str:
    """``utf-16`` (with a BOM), ``utf-8-sig`` or ``gb18030``: the first that decodes the whole file.

    A file that starts in UTF-8 (non-ASCII text read as UTF-8) and then stops being UTF-8 mixes
    encodings: it is refused rather than read as GB18030, which would garble its start.
    """
    with open(path, "rb") as handle:
        head = handle.read(2)
    if head in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        if _decoding_error(path, "utf-16") is None:
            return "utf-16"
    else:
        error = _decoding_error(path, "utf-8-sig")
        if error is None:
            return "utf-8-sig"
        if _non_ascii_before(path, error):
            raise BatchRefused(
                "unreadable",
                "文件混用了多种编码。The file starts as UTF-8 text but is not UTF-8 further on "
                f"(at byte {error:,}): it mixes encodings; save it again as CSV UTF-8",
            )
        if _decoding_error(path, "gb18030") is None:
            return "gb18030"
    raise BatchRefused(
        "unreadable",
        "无法识别文件的编码。The file is neither UTF-8 nor GB18030 (GBK) text: save it as CSV UTF-8",
    )


def looks_like_text(head: bytes) -> bool:
    """The first bytes of a file hold no control characters — what text in any encoding a table
    may have never does (UTF-16 once decoded), and binary data (a random file, a program) always does."""
    if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return _CONTROL.search(head.decode("utf-16", errors="replace")) is None
    return _CONTROL_BYTES.search(head) is None


def _decoding_error(path: Path, encoding: str) -> int | None:
    """The offset of the first byte the encoding cannot decode; None when the whole file decodes."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return offset - (len(exc.object) - len(chunk)) + exc.start
            offset += len(chunk)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return offset
    return None


def _non_ascii_before(path: Path, end: int) -> bool:
    with open(path, "rb") as handle:
        while end > 0 and (chunk := handle.read(min(_CHUNK, end))):
            if not chunk.isascii():
                return True
            end -= len(chunk)
    return False


def _delimiter(sample: str) -> str:
    lines = sample.splitlines()
    whole = "\n".join(lines[:-1] if len(lines) > 1 else lines)  # the last line may be cut short
    try:
        return csv.Sniffer().sniff(whole, delimiters=",\t;").delimiter
    except csv.Error:
        return ","


# --- workbooks ---------------------------------------------------------------------------------


def workbook_rows(path: Path, format: str) -> Iterator[InputRow]:
    """The rows of an XLSX or XLS workbook (``format``); raises :class:`BatchRefused` at once."""
    if format == "xlsx":
        archives.check_unpacked(path, MAX_WORKBOOK_UNPACKED)
    try:
        # By its content: from_path would go by the name's extension (an upload's temporary file
        # keeps the name the user gave, and an XLSX saved as .xls is common).
        with path.open("rb") as stream:
            workbook = CalamineWorkbook.from_filelike(stream)
    except PasswordError:
        raise BatchRefused(
            "unreadable", "工作簿有密码保护。The workbook is password-protected: save it without a password"
        ) from None
    except (CalamineError, OSError, ValueError) as exc:
        raise BatchRefused("unreadable", f"无法读取工作簿。The workbook cannot be read: {exc}") from None
    refusals: list[tuple[int, BatchRefused]] = []  # ranked: a sheet naming some key columns first
    with workbook:  # a sheet is read whole when it is opened: its rows outlive the workbook
        for index, sheet_info in enumerate(workbook.sheets_metadata):
            if sheet_info.typ != SheetTypeEnum.WorkSheet:
                continue
            try:
                sheet = workbook.get_sheet_by_index(index)
            except CalamineError as exc:
                refusals.append((1, BatchRefused("unreadable", f"无法读取工作表。{sheet_info.name}: {exc}")))
                continue
            records = enumerate(sheet.iter_rows(), start=1)
            where = f"{sheet.name} row"
            header = _header(records)
            if header is None:
                refusals.append((0, _empty()))
            elif header.missing:
                refusals.append((2 if header.columns else 1, header.refusal(where)))
            else:
                return _rows_after(header, records, where, lambda: None)
    raise max(refusals, key=lambda ranked: ranked[0], default=(0, _empty()))[1]


# --- JSON Lines ----------------------------------------------------------------------------------


_NOT_OBJECT: dict[str, Any] = {}


def json_lines_rows(path: Path) -> Iterator[InputRow]:
    """The rows of a JSON Lines file; raises :class:`BatchRefused` at once when it is no batch."""
    handle = open(path, encoding=text_encoding(path))  # noqa: SIM115 - closed by the rows, or below
    try:
        objects = _json_objects(handle)
        sample = []
        for line, value in objects:
            sample.append((line, value))
            if len(sample) == JSON_SAMPLE:
                break
        if not sample:
            raise _empty()
        keys = list({key: None for _, value in sample for key in value})
        missing = missing_columns(header_map(keys).values())
        if missing:
            raise _missing(missing, "the keys of the first objects", keys)
    except BaseException:
        handle.close()
        raise
    return _json_rows(chain(sample, objects), handle.close)


def _json_objects(lines: Iterable[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each non-blank line's object by its line number; a line that is no object gives no keys."""
    for line, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            value = json.loads(text, parse_float=Decimal)
        except (ValueError, RecursionError):
            value = _NOT_OBJECT
        yield line, value if isinstance(value, dict) else _NOT_OBJECT


def _json_rows(
    objects: Iterator[tuple[int, dict[str, Any]]], close: Callable[[], None]
) -> Iterator[InputRow]:
    plans: dict[tuple[str, ...], tuple[list[str], list[str]]] = {}  # keys → (keys read, their fields)
    number = 0
    try:
        for line, value in objects:
            keys = tuple(value)
            plan = plans.get(keys)
            if plan is None:
                if len(plans) == _JSON_PLANS:
                    plans.clear()  # every line with keys of its own: keep the memory bounded
                columns = _ordered(header_map(keys))
                plan = plans[keys] = ([keys[index] for index, _ in columns], [name for _, name in columns])
            fields = row_fields(plan[1], [value[key] for key in plan[0]])
            if fields is not None or value is _NOT_OBJECT:
                number += 1
                yield InputRow(number, fields or EMPTY.copy(), f"line {line}")
    finally:
        close()


# --- tables --------------------------------------------------------------------------------------


def _empty() -> BatchRefused:
    return BatchRefused("empty", "表格中没有发票。The table holds no rows")


def _blank(cells: list[Any]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


def _header(records: Iterator[tuple[int, list[Any]]]) -> Header | None:
    """The header row (see the module docstring); the first non-empty row when none names a
    known column, None when the table is empty."""
    first = None
    for seen, (line, cells) in enumerate((r for r in records if not _blank(r[1])), start=1):
        header = Header(line, cells, header_map(cells))
        if header.columns:
            return header
        first = first or header
        if seen == TITLE_ROWS:
            break
    return first


def _ordered(columns: dict[int, str]) -> list[tuple[int, str]]:
    """The known columns in the order of FIELDS (the code before the check code: values.row_fields)."""
    return sorted(columns.items(), key=lambda column: FIELDS.index(column[1]))


def _table(
    records: Iterator[tuple[int, list[Any]]], where: str, close: Callable[[], None]
) -> Iterator[InputRow]:
    try:
        header = _header(records)
    except csv.Error as exc:
        raise BatchRefused("unreadable", f"无法读取表格。The table cannot be read: {exc}") from None
    if header is None:
        raise _empty()
    if header.missing:
        raise header.refusal(where)
    return _rows_after(header, records, where, close)


def _rows_after(
    header: Header, records: Iterator[tuple[int, list[Any]]], where: str, close: Callable[[], None]
) -> Iterator[InputRow]:
    """The data rows below the header; raises :class:`BatchRefused` at once when there is none."""
    rows = _rows(header, records, where, close)
    try:
        first = next(rows)
    except StopIteration:
        raise BatchRefused("empty", "表格只有表头，没有发票。The table has a header but no rows") from None
    return chain([first], rows)


def _rows(
    header: Header, records: Iterator[tuple[int, list[Any]]], where: str, close: Callable[[], None]
) -> Iterator[InputRow]:
    columns = _ordered(header.columns)
    names = [name for _, name in columns]
    cells_of = itemgetter(*(index for index, _ in columns))  # three or more: it gives a tuple
    width = max(header.columns) + 1
    number, line = 0, header.line
    try:
        for line, cells in records:
            if len(cells) < width:
                cells = [*cells, *[""] * (width - len(cells))]
            fields = row_fields(names, cells_of(cells))
            if fields is not None:
                number += 1
                yield InputRow(number, fields, f"{where} {line}")
    except csv.Error as exc:  # a quote never closed swallowed more than a field may hold
        finding = Finding(
            "row.unreadable",
            "document",
            ERROR,
            f"这一行及以下无法读取。This row and those below cannot be read: {exc}",
        )
        yield InputRow(number + 1, EMPTY.copy(), f"{where} {line + 1}", (finding,))
    finally:
        close()
