"""ZIP archives in a batch: a ZIP of invoice documents read as rows, and the checks every ZIP
(an XLSX workbook too) passes before anything in it is unpacked.

**A ZIP of documents** (PDF, OFD, 数电 XML, photos, QR payloads) gives one row per invoice found:
every member that is a file, in name order — folders, ``__MACOSX/`` and dotfiles (``.DS_Store``,
``._a.pdf``) are left out — is read by the intake (:func:`yanpiao.intake.reader.extract`, under the
configured limits, OCR only where a QR code cannot be read), as an upload is.  A row carries the
invoice's key fields, what reading found (``document_findings``), the document's format and digest
and the signature of its QR payload, as :func:`~yanpiao.verification.services.verify_document`
keeps them, and the content read (compared with the registered invoice).  A member the intake
refuses — not a document, damaged, too large, a ZIP inside the ZIP (never opened: it is no OFD) —
is one row without fields and with the error finding ``document.refused``: reported, not lost.

**Hostile archives** are refused before the first row, from the central directory: more than
:data:`MAX_MEMBERS` members, more than :data:`MAX_UNPACKED` bytes declared in all, or a member
compressed more than the intake's ``max_zip_ratio`` (a zip bomb).  A member is then read only up
to the size it declares (a header that understates it, as a bomb's does, refuses that member),
so what is unpacked in all never passes what was declared; a member declaring more than the
intake's ``max_bytes`` is refused unread.  A name that would point outside the archive
(``../``, an absolute path) refuses its member: nothing is ever written to disk, but such a name
is a probe.  Names that the archiver wrote in GBK (Windows in Chinese) are shown in Chinese.
"""

from __future__ import annotations

import copy
import hashlib
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

from yanpiao.batches.rows import FIELDS, BatchRefused, InputRow
from yanpiao.fapiao.findings import ERROR, Finding
from yanpiao.intake import reader
from yanpiao.intake.candidate import Candidate, Extraction
from yanpiao.intake.limits import Limits, RefusedDocument
from yanpiao.intake.safe import CHUNK, RATIO_FLOOR, ZIP_ERRORS, declared_entry_count, unsafe_path
from yanpiao.security import qr_signature
from yanpiao.verification.services import intake_limits

MAX_MEMBERS = 10_000
MAX_UNPACKED = 2 * 1024**3  # bytes, all members together
# The end-of-central-directory record is in the last 22 + 65,535 (comment) bytes.
_TAIL = 22 + 65_535
_UTF8_NAMES = 0x800  # general-purpose flag bit 11: the name is UTF-8


class Lying(Exception):
    """A member unpacks to more than its header declares."""


def kind_of(path: Path) -> str:
    """What a ZIP file holds: ``xlsx`` (a workbook), ``ofd`` (one OFD document), ``office``
    (another Office document) or ``zip`` (anything else: documents)."""
    with _opened(path) as archive:
        names = set(archive.namelist())
    if names & {"xl/workbook.xml", "xl/workbook.bin"}:
        return "xlsx"
    if "OFD.xml" in names:
        return "ofd"
    return "office" if "[Content_Types].xml" in names else "zip"


def check_unpacked(path: Path, max_unpacked: int) -> None:
    """Refuse a ZIP (an XLSX before a spreadsheet reader unpacks it) that declares more than
    ``max_unpacked`` bytes or whose members unpack to more than they declare."""
    with _opened(path) as archive:
        infos = archive.infolist()
        _check_declared(infos, max_unpacked)
        for info in infos:
            try:
                for _chunk in _unpacked(archive, info):
                    pass
            except Lying as exc:
                raise BatchRefused("unsafe", str(exc)) from None
            except ZIP_ERRORS as exc:
                raise BatchRefused("unreadable", f"文件已损坏。The workbook is damaged: {exc}") from None


def document_rows(path: Path) -> Iterator[InputRow]:
    """The invoices of a ZIP of documents, one row each; raises :class:`BatchRefused` at once
    for an archive that cannot be a batch (see the module docstring)."""
    limits = intake_limits()
    archive = _opened(path)
    try:
        members = _documents(archive.infolist())
        _check_declared(members, MAX_UNPACKED)
        _check_ratios(members, limits)
        if not members:
            raise BatchRefused("empty", "压缩包中没有文件。The ZIP archive holds no documents")
    except BatchRefused:
        archive.close()
        raise
    return _rows(archive, members, limits)


def _opened(path: Path) -> zipfile.ZipFile:
    with open(path, "rb") as handle:
        size = handle.seek(0, 2)
        handle.seek(max(0, size - _TAIL))
        declared = declared_entry_count(handle.read())
    if declared is not None and declared > MAX_MEMBERS:
        raise _too_many(declared)
    try:
        archive = zipfile.ZipFile(path)
    except ZIP_ERRORS as exc:
        raise BatchRefused("unreadable", f"压缩包无法打开。The ZIP archive cannot be opened: {exc}") from None
    if len(archive.infolist()) > MAX_MEMBERS:
        archive.close()
        raise _too_many(len(archive.infolist()))
    return archive


def _too_many(count: int) -> BatchRefused:
    return BatchRefused(
        "too_large",
        f"压缩包中的文件过多。The ZIP archive holds {count} members; the limit is {MAX_MEMBERS:,}",
    )


def _documents(infos: list[zipfile.ZipInfo]) -> list[zipfile.ZipInfo]:
    """The members that are files, neither a Mac's resource forks nor hidden, by name."""
    files = [
        info
        for info in infos
        if not info.is_dir() and not any(_hidden(part) for part in info.filename.split("/"))
    ]
    return sorted(files, key=_name)


def _hidden(part: str) -> bool:
    """A dotfile or folder, or the Mac's folder of resource forks (``..`` is no hidden file: a name
    with it is reported, as unsafe)."""
    return (part.startswith(".") and part not in (".", "..")) or part == "__MACOSX"


def _name(info: zipfile.ZipInfo) -> str:
    """The member's name; one written in GBK without the UTF-8 flag (which zipfile reads as
    code page 437) in Chinese."""
    name = info.filename
    if info.flag_bits & _UTF8_NAMES or name.isascii():
        return name
    try:
        return name.encode("cp437").decode("gb18030")
    except UnicodeError:
        return name


def _check_declared(infos: list[zipfile.ZipInfo], max_unpacked: int) -> None:
    declared = sum(info.file_size for info in infos)
    if declared > max_unpacked:
        raise BatchRefused(
            "too_large",
            f"压缩包解压后过大。The ZIP archive would unpack to {declared / 1e6:,.0f} MB; "
            f"the limit is {max_unpacked / 1e6:,.0f} MB",
        )


def _check_ratios(infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    """Documents compress little: one compressed more than the intake allows is a zip bomb."""
    for info in infos:
        if (
            info.file_size > RATIO_FLOOR
            and info.file_size > max(info.compress_size, 1) * limits.max_zip_ratio
        ):
            raise BatchRefused(
                "unsafe",
                f"压缩包疑似“压缩炸弹”。The member {_name(info)!r} is compressed more than "
                f"{limits.max_zip_ratio} times ({info.compress_size:,} bytes unpack to {info.file_size:,}), "
                "as a zip bomb is",
            )


def _unpacked(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """The member's bytes in chunks, never more than it declares: :class:`Lying` when it has more."""
    probe = copy.copy(info)
    # Unpack past the declared size, to catch a header that lies: zipfile stops (and checks the
    # CRC) at the file size it is given, or at the end of the compressed data.
    probe.file_size = sys.maxsize
    size = 0
    with archive.open(probe) as stream:
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            if size > info.file_size:
                raise Lying(
                    f"压缩包中的文件大小与声明不符。The member {_name(info)!r} declares {info.file_size:,} "
                    "bytes but unpacks to more: its header lies, as a zip bomb's does"
                )
            yield chunk


def _rows(archive: zipfile.ZipFile, members: list[zipfile.ZipInfo], limits: Limits) -> Iterator[InputRow]:
    number = 0
    with archive:
        for info in members:
            name = _name(info)
            try:
                data = _member(archive, info, limits)
                extraction = reader.extract(data, limits, ocr_content=False)
            except RefusedDocument as refusal:
                number += 1
                yield _refused(number, name, refusal.message)
                continue
            document = {"format": extraction.format, "sha256": hashlib.sha256(data).hexdigest()}
            several = len(extraction.candidates) > 1
            for index, candidate in enumerate(extraction.candidates, start=1):
                number += 1
                source = f"{name} #{index}" if several else name
                yield _row(number, source, extraction, candidate, document)


def _member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits) -> bytes:
    """The member's bytes; :class:`RefusedDocument` for one that may not or cannot be read."""
    if unsafe_path(info.filename):
        raise RefusedDocument(
            "unsafe",
            "文件名指向压缩包之外。The name points outside the archive (absolute path, drive "
            "letter, backslash or '..'); refused",
        )
    if info.file_size > limits.max_bytes:
        raise RefusedDocument(
            "too_large",
            f"the file is {info.file_size / 1e6:.1f} MB; the limit is {limits.max_bytes / 1e6:.0f} MB",
        )
    try:
        return b"".join(_unpacked(archive, info))
    except Lying as exc:
        raise RefusedDocument("unsafe", str(exc)) from None
    except ZIP_ERRORS as exc:
        raise RefusedDocument("malformed", f"文件已损坏。The member is damaged: {exc}") from None


def _row(number: int, source: str, extraction: Extraction, candidate: Candidate, document: dict) -> InputRow:
    """An invoice found in a document: its key as the intake chose it, what reading found, the
    QR payload's signature status where one was read, the content to compare."""
    query = candidate.query()
    signature = qr_signature.check(candidate.qr_text) if candidate.qr_text else None
    return InputRow(
        number,
        {name: getattr(query, name) for name in FIELDS},
        source,
        document_findings=(*extraction.findings, *candidate.findings),
        document={**document, "signature": signature} if signature else document,
        signature=signature,
        content=query.content,
    )


def _refused(number: int, name: str, message: str) -> InputRow:
    finding = Finding("document.refused", "document", ERROR, message)
    return InputRow(number, dict.fromkeys(FIELDS, ""), name, (finding,))
