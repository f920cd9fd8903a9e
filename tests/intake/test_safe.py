"""Hostile archives and XML are refused quickly, with the right reason (yanpiao.intake.safe).

The bombs are kept small in bytes: each is built in memory in milliseconds.  At the end,
truncated and byte-mutated OFD and XML documents (Hypothesis) must give an Extraction or a
RefusedDocument, never another exception, and finish within the deadline.
"""

import datetime
import io
import struct
import time
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yanpiao.intake import einvoice_xml, ofd, safe
from yanpiao.intake.candidate import Extraction
from yanpiao.intake.limits import DEFAULT, Limits, RefusedDocument

from .conftest import build_digital_ofd, build_einvoice_xml, build_original_ofd, zip_entries

FAST = 2.0  # seconds: a refusal must never take long


def refused(call, *args) -> RefusedDocument:
    started = time.perf_counter()
    with pytest.raises(RefusedDocument) as caught:
        call(*args)
    assert time.perf_counter() - started < FAST
    assert caught.value.message
    return caught.value


def _patch_sizes(data: bytes, size: int) -> bytes:
    """Overwrite the uncompressed size in every local header and central-directory record."""
    patched = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = patched.find(signature)
        while start >= 0:
            struct.pack_into("<I", patched, start + offset, size)
            start = patched.find(signature, start + 4)
    return bytes(patched)


def _set_flag(data: bytes, flag: int) -> bytes:
    patched = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = patched.find(signature)
        (flags,) = struct.unpack_from("<H", patched, start + offset)
        struct.pack_into("<H", patched, start + offset, flags | flag)
    return bytes(patched)


# --- archives ------------------------------------------------------------------------------------


def test_a_plain_archive_opens_and_reads():
    archive = safe.open_zip(zip_entries({"OFD.xml": "<OFD/>", "Doc_0/a.txt": "a"}))
    assert archive.names() == ["OFD.xml", "Doc_0/a.txt"]
    assert archive.read("Doc_0/a.txt") == b"a"
    assert "OFD.xml" in archive and "b" not in archive


def test_zip_bomb_by_ratio():
    bomb = zip_entries({"OFD.xml": "<OFD/>", "Doc_0/zeros.xml": b"\0" * 5_000_000})
    assert len(bomb) < 10_000
    assert refused(safe.open_zip, bomb, DEFAULT).reason == "too_large"


def test_zip_bomb_with_lying_headers_is_stopped_by_the_actual_size():
    honest = zip_entries({"OFD.xml": "<OFD/>", "Doc_0/zeros.xml": b"\0" * 5_000_000})
    lying = _patch_sizes(honest, 1_000)  # declares 1 kB each: passes the directory checks
    archive = safe.open_zip(lying)
    error = refused(archive.read, "Doc_0/zeros.xml")
    assert error.reason == "too_large" and "declares 1000 bytes" in error.message


def test_the_unpacked_total_is_bounded_even_when_each_entry_is_small():
    archive = zip_entries({f"part{i}.xml": b"x" * 1000 for i in range(10)})
    assert refused(safe.open_zip, archive, Limits(max_unpacked_bytes=5_000)).reason == "too_large"


def test_too_many_entries():
    archive = zip_entries({f"Doc_0/p{i}": b"" for i in range(DEFAULT.max_zip_entries + 1)})
    error = refused(safe.open_zip, archive, DEFAULT)
    assert error.reason == "too_large" and "501 entries" in error.message


@pytest.mark.parametrize(
    "name", ["../evil.xml", "Doc_0/../../evil.xml", "/etc/passwd", "C:/evil.xml", "Doc_0\\evil"]
)
def test_paths_outside_the_archive(name):
    archive = zip_entries({"OFD.xml": "<OFD/>", name: "x"})
    error = refused(safe.open_zip, archive, DEFAULT)
    assert error.reason == "unsafe" and repr(name) in error.message


def test_duplicate_entries_are_unsafe():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive, pytest.warns(UserWarning):
        archive.writestr("OFD.xml", "<OFD/>")
        archive.writestr("OFD.xml", "<OFD><DocBody/></OFD>")
    assert refused(safe.open_zip, buffer.getvalue(), DEFAULT).reason == "unsafe"


def test_encrypted_entry():
    archive = _set_flag(zip_entries({"OFD.xml": "<OFD/>"}), 0x1)
    error = refused(safe.open_zip, archive, DEFAULT)
    assert error.reason == "encrypted" and "password" in error.message


def test_a_damaged_archive_is_malformed():
    assert refused(safe.open_zip, b"PK\x03\x04" + b"\0" * 40, DEFAULT).reason == "malformed"


def test_a_corrupt_entry_is_malformed():
    data = bytearray(zip_entries({"OFD.xml": "<OFD>" + "x" * 2000 + "</OFD>"}))
    data[40:60] = b"\xff" * 20  # inside the deflate stream
    assert refused(safe.open_zip(bytes(data)).read, "OFD.xml").reason == "malformed"


def test_nested_archives_are_not_followed():
    inner = zip_entries({"zeros.bin": b"\0" * 5_000_000})  # a bomb, if anyone opened it
    document = build_digital_ofd(extra={"Doc_0/Attachs/inner.zip": inner})
    extraction = ofd.read(document)
    assert extraction.candidates[0].fields["number"] == "24112000000048542163"


# --- XML -----------------------------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<EInvoice><Header><EIid>&lol9;</EIid></Header></EInvoice>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE EInvoice [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<EInvoice><Header><EIid>&secret;</EIid></Header></EInvoice>"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE EInvoice SYSTEM "http://example.invalid/einvoice.dtd">
<EInvoice/>"""


@pytest.mark.parametrize("namespaces", [True, False])
@pytest.mark.parametrize(
    "document", [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD], ids=["laughs", "file", "dtd"]
)
def test_unsafe_xml_is_refused(document, namespaces):
    error = refused(safe.parse_xml, document, DEFAULT, namespaces)
    assert error.reason == "unsafe" and "DTD" in error.message


def test_unsafe_xml_is_refused_by_the_reader_too():
    assert refused(einvoice_xml.read, EXTERNAL_ENTITY, DEFAULT).reason == "unsafe"


def test_an_unsafe_part_inside_an_ofd_refuses_the_document():
    document = build_digital_ofd(extra={"Doc_0/Tags/CustomTag.xml": EXTERNAL_ENTITY})
    assert refused(ofd.read, document, DEFAULT).reason == "unsafe"


def test_oversize_xml():
    document = b"<EInvoice>" + b" " * DEFAULT.max_xml_bytes + b"</EInvoice>"
    error = refused(safe.parse_xml, document, DEFAULT)
    assert error.reason == "too_large" and "MB" in error.message


def test_malformed_xml():
    assert refused(safe.parse_xml, b"<EInvoice><a></EInvoice>", DEFAULT).reason == "malformed"


def test_undeclared_prefixes_parse_without_namespaces():
    document = b'<:eInvoice xmlns:=""><InvoiceNo><ofd:ObjectRef PageRef="1">70</ofd:ObjectRef></InvoiceNo></:eInvoice>'
    assert refused(safe.parse_xml, document, DEFAULT).reason == "malformed"
    root = safe.parse_xml(document, DEFAULT, namespaces=False)
    assert [safe.local_name(e.tag) for e in root.iter()] == ["eInvoice", "InvoiceNo", "ObjectRef"]


# --- broken documents ---------------------------------------------------------------------------

DOCUMENTS = {
    "digital_ofd": (ofd.read, build_digital_ofd()),
    "original_ofd": (ofd.read, build_original_ofd()),
    "xml": (einvoice_xml.read, build_einvoice_xml()),
}
FUZZ = settings(
    max_examples=150,
    deadline=datetime.timedelta(seconds=2),
    suppress_health_check=[HealthCheck.too_slow],
)


def _read(name: str, data: bytes) -> None:
    reader, _ = DOCUMENTS[name]
    try:
        result = reader(data)
    except RefusedDocument as refusal:
        assert refusal.reason and refusal.message
    else:
        assert isinstance(result, Extraction)


@st.composite
def truncated(draw):
    name = draw(st.sampled_from(sorted(DOCUMENTS)))
    data = DOCUMENTS[name][1]
    return name, data[: draw(st.integers(0, len(data)))]


@st.composite
def mutated(draw):
    name = draw(st.sampled_from(sorted(DOCUMENTS)))
    data = bytearray(DOCUMENTS[name][1])
    for _ in range(draw(st.integers(1, 8))):
        position = draw(st.integers(0, len(data) - 1))
        data[position] = draw(st.integers(0, 255))
    return name, bytes(data)


@st.composite
def spliced(draw):
    """A run of bytes replaced by another run (shifts offsets, duplicates headers)."""
    name = draw(st.sampled_from(sorted(DOCUMENTS)))
    data = DOCUMENTS[name][1]
    start = draw(st.integers(0, len(data)))
    end = draw(st.integers(start, min(len(data), start + 64)))
    return name, data[:start] + draw(st.binary(max_size=64)) + data[end:]


@FUZZ
@given(truncated())
def test_truncated_documents(case):
    _read(*case)


@FUZZ
@given(mutated())
def test_mutated_documents(case):
    _read(*case)


@FUZZ
@given(spliced())
def test_spliced_documents(case):
    _read(*case)
