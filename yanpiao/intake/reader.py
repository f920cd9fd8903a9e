"""Reading any document: choose the reader by content (magic bytes), never by file name.

>>> sniff(b"%PDF-1.7 ..."), sniff(b"\\x89PNG\\r\\n\\x1a\\n"), sniff(b"01,32,,2642700000037558681"), sniff(b"hello")
('pdf', 'image', 'qr', None)
"""

from yanpiao.intake import budget, qr_text
from yanpiao.intake.candidate import Extraction
from yanpiao.intake.limits import DEFAULT, Limits, RefusedDocument

IMAGE_MAGIC = (
    b"\xff\xd8\xff",  # JPEG
    b"\x89PNG\r\n\x1a\n",
    b"II*\x00",  # TIFF, little-endian
    b"MM\x00*",  # TIFF, big-endian
    b"BM",  # BMP
)


def sniff(data: bytes) -> str | None:
    """The format of the document: pdf, zip (OFD), image, xml, qr — or None."""
    head = data[:16]
    if data[:1024].lstrip().startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.startswith(IMAGE_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return "image"
    text = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"<"):
        return "xml"
    if text.startswith((b"01,", "01，".encode())):
        return "qr"
    return None


def extract(data: bytes, limits: Limits = DEFAULT, ocr_content: bool = True) -> Extraction:
    """Every invoice candidate in the document; raises :class:`RefusedDocument` with the reason.

    ``ocr_content=False`` reads a photo's text by OCR only when its QR code cannot be read.  The
    whole read runs on one budget of work (:mod:`yanpiao.intake.budget`).  A candidate from which
    no key field was read is left out, and a document that gives none is refused as ``not_invoice``,
    whichever reader read it: an empty <EInvoice> is no invoice.
    """
    with budget.scope(limits):
        extraction = _extract(data, limits, ocr_content)
    extraction.candidates = [c for c in extraction.candidates if c.has_any_key]
    if not extraction.candidates:
        raise RefusedDocument(
            "not_invoice",
            f"no key field could be read from the {FORMAT_NAMES.get(extraction.format, extraction.format)} "
            "(发票代码, 发票号码, 开票日期, 金额, 校验码 or 价税合计): it shows no invoice",
        )
    return extraction


FORMAT_NAMES = {"pdf": "PDF", "ofd": "OFD", "xml": "XML", "image": "image", "qr": "QR payload"}


def _extract(data: bytes, limits: Limits, ocr_content: bool) -> Extraction:
    if len(data) > limits.max_bytes:
        raise RefusedDocument(
            "too_large", f"the file is {len(data) / 1e6:.1f} MB; the limit is {limits.max_bytes / 1e6:.0f} MB"
        )
    if not data.strip():
        raise RefusedDocument("malformed", "the file is empty")
    kind = sniff(data)
    if kind == "qr":
        return qr_text.read(data)
    if kind == "xml":
        from yanpiao.intake import einvoice_xml

        return einvoice_xml.read(data, limits)
    if kind == "zip":
        from yanpiao.intake import ofd

        return ofd.read(data, limits)
    if kind == "pdf":
        from yanpiao.intake import pdf

        return pdf.read(data, limits)
    if kind == "image":
        from yanpiao.intake import image

        return image.read(data, limits, ocr_content=ocr_content)
    raise RefusedDocument(
        "not_supported", "not a PDF, OFD, 数电 XML, image (JPEG, PNG, WEBP, TIFF, BMP) or QR payload"
    )


def read_file(path: str, limits: Limits = DEFAULT) -> bytes:
    """The file's bytes, refusing one over the size limit before reading it."""
    import os

    try:
        size = os.stat(path).st_size
        if size > limits.max_bytes:
            raise RefusedDocument(
                "too_large", f"the file is {size / 1e6:.1f} MB; the limit is {limits.max_bytes / 1e6:.0f} MB"
            )
        with open(path, "rb") as handle:
            return handle.read(limits.max_bytes + 1)
    except IsADirectoryError:
        raise RefusedDocument("not_supported", "a folder, not a file") from None
    except OSError as exc:
        raise RefusedDocument("unreadable", f"cannot read the file: {exc.strerror}") from None
