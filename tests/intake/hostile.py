"""Small files that cost much to read, as a hostile probe made them; shared by the tests and
``benchmarks/hostile.py``.

Each builder takes its sizes as arguments: the tests make small ones and read them under small
budgets, the benchmark makes the probe's own.  The PDFs are written byte by byte (objects, a
cross-reference table with true offsets), so that what they claim is exactly what is asked.
"""

from __future__ import annotations

import io
import zlib


def raw_pdf(pages: list[tuple[bytes, bytes]], shared: list[bytes] = ()) -> bytes:
    """A PDF of the given pages, each ``(page dictionary entries, content stream)``.

    ``shared`` objects come first, numbered from 3 (object 1 is the catalog, 2 the page tree);
    page dictionaries may refer to them.  Page objects and their contents follow.
    """
    objects: list[bytes] = []
    first_page = 3 + len(shared)
    kids = " ".join(f"{first_page + 2 * i} 0 R" for i in range(len(pages)))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    objects += list(shared)
    for index, (entries, content) in enumerate(pages):
        contents = first_page + 2 * index + 1
        objects.append(b"<< /Type /Page /Parent 2 0 R " + entries + f" /Contents {contents} 0 R >>".encode())
        objects.append(f"<< /Length {len(content)} >>\nstream\n".encode() + content + b"\nendstream")
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def image_pdf(pages: int = 50, side: int = 6300, draws: int = 12) -> bytes:
    """``pages`` A4 pages each drawing one shared ``side``×``side`` grey image ``draws`` times.

    The image is white, flate-compressed: 40 megapixels in some 40 KB.
    """
    pixels = zlib.compress(b"\xff" * (side * side), 9)
    image = (
        f"<< /Type /XObject /Subtype /Image /Width {side} /Height {side} /ColorSpace /DeviceGray "
        f"/BitsPerComponent 8 /Filter /FlateDecode /Length {len(pixels)} >>\nstream\n".encode()
        + pixels
        + b"\nendstream"
    )
    content = b"".join(
        f"q 100 0 0 100 {20 + 40 * (i % 12)} {20 + 60 * (i // 12)} cm /Im0 Do Q\n".encode()
        for i in range(draws)
    )
    entries = b"/MediaBox [0 0 595 842] /Resources << /XObject << /Im0 3 0 R >> >>"
    return raw_pdf([(entries, content)] * pages, shared=[image])


def blank_pdf(pages: int = 50, dot: bool = False) -> bytes:
    """``pages`` blank A4 pages, each with a content stream that draws one white dot (black with
    ``dot``: then the page is not quite blank, and is searched for a QR code and read by OCR).

    Nothing to read, but a page without a text layer goes to render.
    """
    colour = b"0 0 0" if dot else b"1 1 1"
    return raw_pdf([(b"/MediaBox [0 0 595 842]", colour + b" rg 300 400 2 2 re f\n")] * pages)


def huge_page_pdf(side: float = 14400, user_unit: float = 75000) -> bytes:
    """One page whose ``MediaBox`` is ``side`` points square, each point ``user_unit``/72 inch."""
    return raw_pdf([(f"/MediaBox [0 0 {side} {side}] /UserUnit {user_unit}".encode(), b"0 0 1 1 re f\n")])


def blank_png(side: int = 6300, dot: bool = False) -> bytes:
    """A white RGB PNG, ``side`` pixels square: a few hundred KB for 40 megapixels.

    With ``dot``, one black pixel in the middle: not quite blank, so searched and read by OCR.
    """
    from PIL import Image

    out = io.BytesIO()
    picture = Image.new("RGB", (side, side), "white")
    if dot:
        picture.putpixel((side // 2, side // 2), (0, 0, 0))
    picture.save(out, format="PNG", optimize=False)
    return out.getvalue()


def xinclude_xml() -> bytes:
    """An <EInvoice> that only includes another file (XInclude, never followed by the reader)."""
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<EInvoice xmlns:xi="http://www.w3.org/2001/XInclude">'
        b'<xi:include href="file:///etc/passwd" parse="text"/></EInvoice>'
    )


def huge_attribute_xml(size: int = 9 * 1024 * 1024) -> bytes:
    """An <EInvoice> with one attribute of ``size`` bytes and nothing else."""
    return b'<?xml version="1.0"?>\n<EInvoice note="' + b"A" * size + b'"></EInvoice>'


__all__ = [
    "blank_pdf",
    "blank_png",
    "huge_attribute_xml",
    "huge_page_pdf",
    "image_pdf",
    "raw_pdf",
    "xinclude_xml",
]
