"""A ZIP of invoice documents read as rows, one per invoice; members that are no document are
reported, hostile archives refused before the first row."""

import hashlib
import struct
import time
import zipfile
from pathlib import Path

import pytest

from tests import factories
from tests.support.photo import simulate_photo
from yanpiao.batches import archives
from yanpiao.batches.reading import read_rows
from yanpiao.batches.rows import FIELDS, BatchRefused
from yanpiao.documents.pdf import render_pdf
from yanpiao.fapiao import qr
from yanpiao.security import qr_signature

FAST = 2.0  # seconds: a hostile archive is refused at once


def write_zip(path: Path, members: dict[str, bytes | None]) -> Path:
    """A ZIP of the members in the given order; None makes a folder."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            if data is None:
                archive.mkdir(name)
            else:
                archive.writestr(name, data)
    return path


def key_of(invoice) -> dict[str, str]:
    """The key fields the intake takes from the QR code of a rendered invoice."""
    return {
        name: value for name, value in qr.to_query_fields(qr.parse(qr.of_invoice(invoice))).items() if value
    }


def refusal(path: Path) -> BatchRefused:
    started = time.perf_counter()
    with pytest.raises(BatchRefused) as refused:
        read_rows(path)
    assert time.perf_counter() - started < FAST
    return refused.value


def test_a_pdf_and_a_photo_give_one_row_each_with_the_fields_read(tmp_path):
    first, second = factories.invoice("32"), factories.invoice("04")
    pdf, photo = render_pdf(first), simulate_photo(render_pdf(second), seed=3)
    path = write_zip(tmp_path / "发票.zip", {"2 照片.jpg": photo, "1 发票.pdf": pdf})
    rows = list(read_rows(path))
    assert [(r.number, r.source) for r in rows] == [(1, "1 发票.pdf"), (2, "2 照片.jpg")]  # name order
    for row, invoice, data in ((rows[0], first, pdf), (rows[1], second, photo)):
        assert {k: v for k, v in row.fields.items() if v} == key_of(invoice)
        assert set(row.fields) == set(FIELDS)
        assert row.document["sha256"] == hashlib.sha256(data).hexdigest()
        assert row.signature == qr_signature.ABSENT and row.document["signature"] == qr_signature.ABSENT
    assert rows[0].document["format"] == "pdf" and rows[1].document["format"] == "image"
    assert rows[0].content["seller"]["name"] == first.seller.name  # compared once the key matches
    assert not any(f.severity == "error" for f in rows[0].document_findings)


def test_a_signed_qr_payloads_signature_is_checked(tmp_path):
    invoice = factories.invoice("32")
    signed = render_pdf(invoice, qr_payload=qr_signature.sign(qr.of_invoice(invoice)))
    [row] = read_rows(write_zip(tmp_path / "a.zip", {"a.pdf": signed}))
    assert row.signature == qr_signature.VALID and row.document["signature"] == qr_signature.VALID


def test_folders_mac_resource_forks_and_hidden_files_are_left_out(tmp_path):
    pdf = render_pdf(factories.invoice("32"))
    members = {
        "票/": None,
        "票/a.pdf": pdf,
        "__MACOSX/票/._a.pdf": b"\x00\x05\x16\x07",
        ".DS_Store": b"\x00\x00",
    }
    assert [r.source for r in read_rows(write_zip(tmp_path / "a.zip", members))] == ["票/a.pdf"]


def test_a_member_that_is_no_document_is_a_refused_row_and_the_rest_is_read(tmp_path):
    inner = write_zip(tmp_path / "inner.zip", {"a.pdf": render_pdf(factories.invoice("32"))}).read_bytes()
    members = {"a.pdf": render_pdf(factories.invoice("32")), "b.txt": "备注".encode(), "c.zip": inner}
    rows = list(read_rows(write_zip(tmp_path / "a.zip", members)))
    assert [r.source for r in rows] == ["a.pdf", "b.txt", "c.zip"]
    for row in rows[1:]:
        assert row.fields == dict.fromkeys(FIELDS, "")
        [finding] = row.document_findings
        assert (finding.rule, finding.field, finding.severity) == ("document.refused", "document", "error")
    assert "not a PDF, OFD" in rows[1].document_findings[0].message
    assert "not an OFD document" in rows[2].document_findings[0].message  # a ZIP inside is never opened


def test_a_member_over_the_intakes_size_limit_is_refused_unread(tmp_path, settings):
    settings.YANPIAO_INTAKE_LIMITS = {"max_bytes": 1_000}
    [row] = read_rows(write_zip(tmp_path / "a.zip", {"a.pdf": b"%PDF-1.7\n" + b"0" * 2_000}))
    assert "the limit is" in row.document_findings[0].message


def test_a_name_pointing_outside_the_archive_refuses_its_member(tmp_path):
    pdf = render_pdf(factories.invoice("32"))
    path = write_zip(tmp_path / "a.zip", {"../../etc/a.pdf": pdf, "a.pdf": pdf, "/abs.pdf": pdf})
    rows = {r.source: r for r in read_rows(path)}
    assert rows["a.pdf"].fields["number"]
    for name in ("../../etc/a.pdf", "/abs.pdf"):
        assert "outside the archive" in rows[name].document_findings[0].message
    assert not (tmp_path.parent / "etc").exists()


class GbkName(zipfile.ZipInfo):
    """A member named in GBK without the UTF-8 flag, as archivers on Windows in Chinese write it."""

    def _encodeFilenameFlags(self):
        return self.filename.encode("gbk"), self.flag_bits


def test_names_an_archiver_wrote_in_gbk_are_shown_in_chinese(tmp_path):
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(GbkName("发票.txt"), b"x")
    assert [r.source for r in read_rows(path)] == ["发票.txt"]


# --- hostile archives ------------------------------------------------------------------------


def test_a_zip_bomb_is_refused_at_once_from_its_directory(tmp_path):
    path = write_zip(tmp_path / "bomb.zip", {"a.pdf": b"%PDF-" + b"\x00" * 200_000_000})
    assert path.stat().st_size < 1_000_000
    refused = refusal(path)
    assert refused.reason == "unsafe" and "zip bomb" in refused.message


def test_a_member_whose_header_lies_about_its_size_is_refused_and_the_rest_read(tmp_path):
    honest = write_zip(
        tmp_path / "honest.zip",
        {"a.pdf": render_pdf(factories.invoice("32")), "b.pdf": b"%PDF-" + b"0" * 5_000_000},
    )
    data = bytearray(honest.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = data.rfind(signature)  # b.pdf: the last of each
        struct.pack_into("<I", data, start + offset, 60_000)  # declares 60 kB: passes the ratio check
    lying = tmp_path / "lying.zip"
    lying.write_bytes(bytes(data))
    first, second = read_rows(lying)
    assert first.fields["number"]
    assert "declares 60,000 bytes but unpacks to more" in second.document_findings[0].message


def test_too_many_members_are_refused_before_any_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(archives, "MAX_MEMBERS", 5)
    refused = refusal(write_zip(tmp_path / "a.zip", {f"{i}.pdf": b"%PDF-" for i in range(6)}))
    assert refused.reason == "too_large" and "6 members" in refused.message


def test_more_than_the_unpacked_limit_in_all_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(archives, "MAX_UNPACKED", 10_000)
    refused = refusal(
        write_zip(tmp_path / "a.zip", {f"{i}.pdf": b"%PDF-" + bytes(range(256)) * 10 for i in range(5)})
    )
    assert refused.reason == "too_large"


def test_an_archive_holding_nothing_but_folders_is_empty(tmp_path):
    assert refusal(write_zip(tmp_path / "a.zip", {"a/": None, ".DS_Store": b"x"})).reason == "empty"
