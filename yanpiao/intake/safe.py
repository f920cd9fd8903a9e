"""Safe unpacking for every reader: ZIP archives (OFD) and XML, checked against :class:`Limits`.

A hostile document must be refused in bounded time and memory, with a reason word and a
message a person can act on (:class:`RefusedDocument`).  :func:`open_zip` checks the
archive's directory before anything is unpacked (entry count, declared sizes, compression
ratio, paths that would leave the archive, encryption) and :meth:`SafeZip.read` checks what
really comes out, since a header can lie about sizes.  Entries are returned as bytes: a ZIP
inside the archive is never opened.  :func:`parse_xml` refuses DTDs, entities and external
references (the billion-laughs and ``file:///etc/passwd`` attacks) through defusedxml.

>>> import io, zipfile
>>> buffer = io.BytesIO()
>>> with zipfile.ZipFile(buffer, "w") as archive:
...     archive.writestr("OFD.xml", "<OFD><DocRoot>Doc_0/Document.xml</DocRoot></OFD>")
>>> archive = open_zip(buffer.getvalue(), DEFAULT)
>>> archive.names(), parse_xml(archive.read("OFD.xml"), DEFAULT)[0].text
(['OFD.xml'], 'Doc_0/Document.xml')
>>> parse_xml(b'<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', DEFAULT)
Traceback (most recent call last):
...
yanpiao.intake.limits.RefusedDocument: the XML declares a DTD (<!DOCTYPE …>), which invoices never need and which can carry entity-expansion or external-file attacks; refused
"""

from __future__ import annotations

import copy
import io
import lzma
import re
import struct
import zipfile
import zlib
from xml.etree import ElementTree
from xml.parsers import expat

import defusedxml
import defusedxml.ElementTree

from yanpiao.intake.limits import DEFAULT, Limits, RefusedDocument

CHUNK = 64 * 1024
# Below this many unpacked bytes an entry may compress as well as it likes: the ratio check
# is about bombs, and a page of repeated blanks compresses more than 100 times too.
RATIO_FLOOR = 64 * 1024
# What zipfile and its decompressors raise on damaged archives.
ZIP_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    OSError,
    ValueError,
    NotImplementedError,
    RuntimeError,
    struct.error,
    IndexError,
    KeyError,
    OverflowError,
)
_DRIVE = re.compile(r"[A-Za-z]:")
_ENCRYPTED = 0x1 | 0x40  # traditional and strong encryption flag bits


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


class SafeZip:
    """A ZIP archive whose directory passed the checks; entries are read with size checks."""

    def __init__(self, archive: zipfile.ZipFile, entries: dict[str, zipfile.ZipInfo], limits: Limits):
        self._archive = archive
        self._entries = entries
        self._limits = limits
        self._unpacked = 0
        self._cache: dict[str, bytes] = {}

    def names(self) -> list[str]:
        """The entry names, in archive order."""
        return list(self._entries)

    def __contains__(self, name: str) -> bool:
        return name in self._entries

    def size(self, name: str) -> int:
        """The size the entry declares (the real size is checked when it is read)."""
        return self._entries[name].file_size

    def read(self, name: str) -> bytes:
        """The bytes of an entry; refused when it unpacks to more than it declares or the limits allow."""
        if name in self._cache:
            return self._cache[name]
        info = self._entries.get(name)
        if info is None:
            raise RefusedDocument("malformed", f"the archive has no entry {name!r}")
        budget = self._limits.max_unpacked_bytes - self._unpacked
        # Read up to the remaining budget, not to the declared size, so that a header that
        # understates the size is caught rather than silently truncated.
        probe = copy.copy(info)
        probe.file_size = budget + 1
        chunks, size = [], 0
        try:
            with self._archive.open(probe) as stream:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > info.file_size:
                        raise RefusedDocument(
                            "too_large",
                            f"the archive entry {name!r} declares {info.file_size} bytes but unpacks to "
                            "more: its header lies, as a zip bomb's does",
                        )
                    if size > budget:
                        raise RefusedDocument(
                            "too_large",
                            f"the archive unpacks to more than {_megabytes(self._limits.max_unpacked_bytes)}",
                        )
                    chunks.append(chunk)
        except ZIP_ERRORS as exc:
            raise RefusedDocument("malformed", f"the archive entry {name!r} is damaged: {exc}") from None
        self._unpacked += size
        data = b"".join(chunks)
        self._cache[name] = data
        return data


def unsafe_path(name: str) -> bool:
    parts = name.split("/")
    return name.startswith("/") or "\\" in name or "\x00" in name or bool(_DRIVE.match(name)) or ".." in parts


def _check_entry(info: zipfile.ZipInfo, limits: Limits) -> None:
    name = info.filename
    if unsafe_path(name):
        raise RefusedDocument(
            "unsafe",
            f"the archive entry {name!r} points outside the archive (absolute path, drive letter, "
            "backslash or '..'); refused",
        )
    if info.flag_bits & _ENCRYPTED:
        raise RefusedDocument(
            "encrypted",
            f"the archive entry {name!r} is password-protected; save the document without a password",
        )
    if info.file_size > RATIO_FLOOR and info.file_size > max(info.compress_size, 1) * limits.max_zip_ratio:
        raise RefusedDocument(
            "too_large",
            f"the archive entry {name!r} is compressed more than {limits.max_zip_ratio} times "
            f"({info.compress_size} bytes unpack to {info.file_size}), as a zip bomb is",
        )


def declared_entry_count(data: bytes) -> int | None:
    """The entry count of the end-of-central-directory record, read before zipfile parses every entry."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if end < 0 or end + 22 > len(data):
        return None
    return struct.unpack_from("<H", data, end + 10)[0]


def _too_many(count: int, limits: Limits) -> RefusedDocument:
    return RefusedDocument(
        "too_large", f"the archive holds {count} entries; the limit is {limits.max_zip_entries}"
    )


def open_zip(data: bytes, limits: Limits = DEFAULT) -> SafeZip:
    """Open a ZIP archive whose directory is within the limits; raises :class:`RefusedDocument`."""
    count = declared_entry_count(data)
    if count is not None and count > limits.max_zip_entries:
        raise _too_many(count, limits)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except ZIP_ERRORS as exc:
        raise RefusedDocument(
            "malformed", f"the file starts like a ZIP archive (OFD) but cannot be opened: {exc}"
        ) from None
    if len(infos) > limits.max_zip_entries:
        raise _too_many(len(infos), limits)
    entries: dict[str, zipfile.ZipInfo] = {}
    declared = 0
    for info in infos:
        _check_entry(info, limits)
        if info.filename in entries:
            raise RefusedDocument(
                "unsafe",
                f"the archive holds two entries named {info.filename!r}; which one is meant is unclear",
            )
        entries[info.filename] = info
        declared += info.file_size
    if declared > limits.max_unpacked_bytes:
        raise RefusedDocument(
            "too_large",
            f"the archive would unpack to {_megabytes(declared)}; the limit is "
            f"{_megabytes(limits.max_unpacked_bytes)}",
        )
    return SafeZip(archive, entries, limits)


# --- XML ---------------------------------------------------------------------------------------


def _refuse_dtd(*_args) -> None:
    raise defusedxml.DTDForbidden(None, None, None)


def _parse_without_namespaces(data: bytes) -> ElementTree.Element:
    """Expat without namespace processing: ``ofd:Page`` stays a plain name, unbound prefixes pass.

    DTDs are refused as soon as one starts, so no entity can be declared.
    """
    builder = ElementTree.TreeBuilder()
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.ExternalEntityRefHandler = _refuse_dtd
    parser.StartElementHandler = builder.start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    parser.Parse(data, True)
    return builder.close()


def parse_xml(data: bytes, limits: Limits = DEFAULT, namespaces: bool = True) -> ElementTree.Element:
    """The root element of an XML document, refusing DTDs, entities and external references.

    With ``namespaces=False`` prefixes are kept in the tag names (``ofd:ObjectRef``), for the
    OFD files that use a prefix they never declare.
    """
    if len(data) > limits.max_xml_bytes:
        raise RefusedDocument(
            "too_large",
            f"the XML is {_megabytes(len(data))}; the limit is {_megabytes(limits.max_xml_bytes)}",
        )
    try:
        if namespaces:
            root = defusedxml.ElementTree.fromstring(data, forbid_dtd=True)
        else:
            root = _parse_without_namespaces(data)
    except defusedxml.DTDForbidden:
        raise RefusedDocument(
            "unsafe",
            "the XML declares a DTD (<!DOCTYPE …>), which invoices never need and which can carry "
            "entity-expansion or external-file attacks; refused",
        ) from None
    except defusedxml.EntitiesForbidden:
        raise RefusedDocument(
            "unsafe", "the XML declares entities, which can expand without bound (billion laughs); refused"
        ) from None
    except defusedxml.ExternalReferenceForbidden:
        raise RefusedDocument(
            "unsafe", "the XML refers to an external file or address, which is never followed; refused"
        ) from None
    except (ElementTree.ParseError, expat.ExpatError, ValueError, LookupError) as exc:
        raise RefusedDocument("malformed", f"the XML is not well-formed: {exc}") from None
    if _includes(root):
        raise RefusedDocument(
            "unsafe",
            "the XML includes other files or addresses (XInclude, <xi:include>), which invoices never do "
            "and which is never followed; refused",
        )
    return root


XINCLUDE = "http://www.w3.org/2001/XInclude"


def _includes(root: ElementTree.Element) -> bool:
    """The XML uses XInclude: an element in its namespace, or (without namespace processing) a
    declaration of it.  Nothing here follows an include; an invoice holding one is a probe."""
    prefix = "{" + XINCLUDE + "}"
    return any(
        element.tag.startswith(prefix) or XINCLUDE in element.attrib.values() for element in root.iter()
    )


def local_name(tag: str) -> str:
    """A tag without its namespace or prefix: ``{http://www.ofdspec.org/2016}Page`` and ``ofd:Page`` → ``Page``.

    >>> local_name("{http://www.ofdspec.org/2016}Page"), local_name("ofd:Page"), local_name("EIid")
    ('Page', 'Page', 'EIid')
    """
    return tag.rpartition("}")[2].rpartition(":")[2]


__all__ = [
    "CHUNK",
    "RATIO_FLOOR",
    "ZIP_ERRORS",
    "SafeZip",
    "declared_entry_count",
    "local_name",
    "open_zip",
    "parse_xml",
    "unsafe_path",
]
