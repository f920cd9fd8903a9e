"""PDF invoices: the text layer with positions, the QR code, one candidate per invoice page.

pypdfium2 opens the document (a password-protected PDF is refused as ``encrypted``; a
truncated or unparseable one as ``malformed``; more pages than ``limits.max_pdf_pages`` as
``too_large``).  For each page:

1. the text layer, character by character with boxes, grouped into words (pdfium's own
   order is drawing order, which :mod:`yanpiao.intake.printed` does not rely on), read by
   :func:`yanpiao.intake.printed.parse`;
2. the QR code, from the page's embedded images first (e-invoices embed it as a small
   image: decoding it takes a millisecond), else from a render of the page;
3. a page without a text layer (a scan), whose text layer is unreadable (glyphs without a
   Unicode map: control, private-use or replacement characters, :func:`unreadable`), or whose
   few words show no invoice over a page-wide image, goes through the image path: render, QR, OCR.

Text extraction needs no fonts; only rendering CJK text does, and nothing here reads text
from a render except the OCR of scanned pages, whose text is pixels anyway.  Every image
and render is checked against ``limits.max_pixels`` first, and charged to the read's budget
(:mod:`yanpiao.intake.budget`) before a pixel is allocated: the images a page draws, by their
declared sizes (pdfium decodes each to render the page), and each render, whose scale comes
from the page's size in points as pdfium renders it (pdfium ignores ``UserUnit``, so a page of
14400 points is rendered as 14400 points, whatever unit it claims) and is capped by the pixels
the budget has left.  The clock is looked at between pages.  pdfium is not thread-safe, so
every pdfium call runs under one module-level lock; the OCR of a scanned page runs outside it.

A PDF whose pages show no invoice (no 发票号码, no invoice QR code, or a title such as
收款凭证 or 货票) is refused as ``not_invoice``, naming its title or what it is (a railway ticket).
"""

from __future__ import annotations

import math
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from yanpiao.fapiao import qr
from yanpiao.intake import budget, image, printed, qr_image, qr_text
from yanpiao.intake.candidate import TEXT, Candidate, Extraction
from yanpiao.intake.limits import DEFAULT, Limits, RefusedDocument
from yanpiao.intake.ocr import TextBox

PDFIUM_LOCK = threading.Lock()  # pdfium is not thread-safe: every call in the program holds this

# Renders: QR search on a page with text needs ~150 dpi; OCR of a scanned page ~200 dpi.
QR_RENDER_SCALE = 150 / 72
OCR_RENDER_SCALE = 200 / 72
MAX_RENDER_SIDE = 3000  # pixels: neither zxing nor the OCR needs more
MAX_RENDER_PIXELS = (
    6_000_000  # nor more than this in all (A4 at 200 dpi: 3.9 million), and memory is kept low
)
MIN_RENDER_PIXELS = 100_000  # a render smaller than this (about 380×260) shows nothing readable
# Fewer characters than this on a page is no text layer (a scan with a stray watermark).
MIN_TEXT_CHARS = 20
# An image covering this share of a page whose text shows no invoice is a scan to read by OCR.
SCAN_COVERAGE = 0.5
MAX_IMAGES_DECODED = 12  # per page
# Characters of a text layer whose glyphs have no Unicode: control, private-use, unassigned, surrogate.
UNMAPPED = frozenset({"Cc", "Co", "Cn", "Cs"})
UNREADABLE_SHARE = 0.15  # of a page's characters unmapped: its text is read from a render, by OCR
_LINE_BREAKS = "\r\n"


def read(data: bytes, limits: Limits = DEFAULT) -> Extraction:
    """Every invoice in the PDF, one candidate per invoice page (``candidate.page`` from 1)."""
    if data.rfind(b"%%EOF") == -1:
        raise RefusedDocument("malformed", "the PDF is truncated: it has no end-of-file marker (%%EOF)")
    with budget.scope(limits) as spent:
        return _read(data, limits, spent)


def _read(data: bytes, limits: Limits, spent: budget.Budget) -> Extraction:
    with PDFIUM_LOCK:
        document = _open(data)
    try:
        pages = _page_count(document, limits)
        candidates: list[Candidate] = []
        shown: list[str] = []
        for number in range(1, pages + 1):
            spent.page(number)
            found, page_shows = _read_page(document, number, limits)
            for candidate in found:
                candidate.page = number
            candidates += found
            shown.append(page_shows)
    finally:
        with PDFIUM_LOCK:
            document.close()
    candidates = _without_list_pages(candidates)
    if not candidates:
        detail = next((t for t in shown if t), "") or "no 发票号码 and no invoice QR code was found"
        raise RefusedDocument("not_invoice", f"the PDF is not an invoice ({detail})")
    return Extraction("pdf", candidates)


def _without_list_pages(candidates: list[Candidate]) -> list[Candidate]:
    """Drop a page that repeats an earlier page's invoice without a QR code of its own
    (a 销货清单 list page, or a second copy)."""
    kept: list[Candidate] = []
    for candidate in candidates:
        key = (candidate.get("code"), candidate.get("number"))
        if not candidate.qr and any((c.get("code"), c.get("number")) == key for c in kept):
            continue
        kept.append(candidate)
    return kept


def _open(data: bytes) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if exc.err_code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
            raise RefusedDocument(
                "encrypted", "the PDF is encrypted (password-protected); upload the unprotected invoice"
            ) from None
        raise RefusedDocument("malformed", f"the PDF cannot be read: {exc}") from None


def _page_count(document: pdfium.PdfDocument, limits: Limits) -> int:
    with PDFIUM_LOCK:
        pages = len(document)
    if pages > limits.max_pdf_pages:
        raise RefusedDocument("too_large", f"the PDF has {pages} pages; the limit is {limits.max_pdf_pages}")
    if pages == 0:
        raise RefusedDocument("malformed", "the PDF has no pages")
    return pages


@dataclass
class _Page:
    """What one page gave under the pdfium lock; ``picture`` is a scan still to be read by OCR."""

    candidates: list[Candidate]
    shown: str = ""  # what the page shows when it is no invoice (printed.describe)
    picture: Any = None
    payloads: list[str] = field(default_factory=list)


def _read_page(document: pdfium.PdfDocument, number: int, limits: Limits) -> tuple[list[Candidate], str]:
    with PDFIUM_LOCK:
        try:
            page = document[number - 1]
        except pdfium.PdfiumError as exc:
            raise RefusedDocument("malformed", f"page {number} of the PDF cannot be read: {exc}") from None
        try:
            result = _layer_and_qr(page, limits)
        finally:
            page.close()
    if result.picture is None:
        return result.candidates, result.shown
    # OCR runs outside the lock: pdfium is free for other documents meanwhile.
    return image.candidates_from_picture(result.picture, result.payloads)


def _layer_and_qr(page: pdfium.PdfPage, limits: Limits) -> _Page:
    width, height = page.get_size()
    words = list(_words(page, width, height))
    payloads, covered = _embedded_payloads(page, limits)
    if sum(len(w.text) for w in words) < MIN_TEXT_CHARS or unreadable(words):
        return _Page([], picture=_render(page, OCR_RENDER_SCALE, limits), payloads=payloads)
    layout = printed.Page(words, width, height)
    text = printed.parse_page(layout, TEXT)
    page_title = printed.title(layout)
    invoice_text = printed.looks_like_invoice(text) and not printed.not_invoice_title(page_title)
    if not payloads and (invoice_text or text.get("type")):
        payloads = qr_image.find_payloads(_render(page, QR_RENDER_SCALE, limits))
    if not payloads and not invoice_text and covered > SCAN_COVERAGE:
        # A scan under a few words of text (a stamp, a file name): read the scan.
        return _Page([], picture=_render(page, OCR_RENDER_SCALE, limits))
    qr_candidates = [c for c in map(_qr_candidate, payloads) if c is not None]
    texts = [text] if invoice_text or (qr_candidates and text.fields) else []
    return _Page(printed.pair(texts, qr_candidates), printed.describe(layout))


def unreadable(words: list[TextBox]) -> bool:
    """A text layer whose glyphs have no Unicode map: pdfium gives control, private-use or replacement
    characters where the page shows Chinese (digits often survive, labels do not).

    >>> unreadable([TextBox("\\x01\\x04\\x0526427000000375586818", 0, 0, 1, 1), TextBox("\\x06\\x07", 0, 0, 1, 1)])
    True
    >>> unreadable([TextBox("发票号码：26427000000375586818", 0, 0, 1, 1)])
    False
    """
    chars = [char for word in words for char in word.text if not char.isspace()]
    bad = sum(1 for char in chars if char == "\ufffd" or unicodedata.category(char) in UNMAPPED)
    return bad > UNREADABLE_SHARE * len(chars)


def _qr_candidate(payload: str) -> Candidate | None:
    try:
        return qr_text.candidate_from_payload(payload)
    except qr.QrFormatError:
        return None


# --- text layer -------------------------------------------------------------------------------


def _chars(textpage: pdfium.PdfTextPage) -> Iterator[tuple[str, float, float, float, float]]:
    """(char, left, bottom, right, top) for every character, in PDF units (y up).

    The loose box (the font's box at the character's size) rather than the glyph's ink:
    some producers' fonts give every glyph a zero-height ink box, and loose boxes of one line
    share their top and bottom, which is what grouping into rows needs.
    """
    rect = pdfium_c.FS_RECTF()
    for index in range(textpage.count_chars()):
        code = pdfium_c.FPDFText_GetUnicode(textpage.raw, index)
        if not pdfium_c.FPDFText_GetLooseCharBox(textpage.raw, index, rect):
            continue
        try:
            char = chr(code)
        except (ValueError, OverflowError):
            continue
        yield char, rect.left, min(rect.bottom, rect.top), rect.right, max(rect.bottom, rect.top)


def _display(
    box: tuple[float, float, float, float], rotation: int, width: float, height: float
) -> tuple[float, float, float, float]:
    """A box in PDF units (y up) as page coordinates as displayed (y down, page rotation applied)."""
    left, bottom, right, top = box
    if rotation == 90:
        return bottom, left, top, right
    if rotation == 180:
        return width - right, bottom, width - left, top
    if rotation == 270:
        return height - top, width - right, height - bottom, width - left
    return left, height - top, right, height - bottom


def _words(page: pdfium.PdfPage, width: float, height: float) -> Iterator[TextBox]:
    """Characters grouped into words: a break at line ends, large gaps and baseline changes."""
    rotation = page.get_rotation()
    # Text boxes are in the page's user space; the visible page (its crop box) may not start at 0, 0.
    origin_x, origin_y = page.get_bbox()[:2]
    textpage = page.get_textpage()
    try:
        chars = list(_chars(textpage))
    finally:
        textpage.close()
    display_width, display_height = (height, width) if rotation in (90, 270) else (width, height)
    current: list[tuple[str, float, float, float, float]] = []
    for char, left, bottom, right, top in chars:
        if char in _LINE_BREAKS or char == "\x00":
            yield from _word(current)
            current = []
            continue
        box = (left - origin_x, bottom - origin_y, right - origin_x, top - origin_y)
        x0, y0, x1, y1 = _display(box, rotation, width, height)
        if x1 < 0 or y1 < 0 or x0 > display_width or y0 > display_height:
            continue  # off the page (hidden annotations, e.g. a download counter)
        if current and not char.isspace() and _breaks(_last_visible(current), (char, x0, y0, x1, y1)):
            yield from _word(current)
            current = []
        current.append((char, x0, y0, x1, y1))
    yield from _word(current)


def _last_visible(
    chars: list[tuple[str, float, float, float, float]],
) -> tuple[str, float, float, float, float]:
    return next((c for c in reversed(chars) if not c[0].isspace()), chars[-1])


def _breaks(
    previous: tuple[str, float, float, float, float], char: tuple[str, float, float, float, float]
) -> bool:
    _, px0, py0, px1, py1 = previous
    _, x0, y0, x1, y1 = char
    size = max(min(py1 - py0, y1 - y0), 1.0)
    if max(py1 - py0, y1 - y0) > 1.5 * size:
        return True  # a change of font size: a title beside a label
    same_line = abs((py0 + py1) / 2 - (y0 + y1) / 2) < 0.5 * size
    return not same_line or x0 - px1 > 0.6 * size or x0 < px0 - 0.5 * size


def _word(chars: list[tuple[str, float, float, float, float]]) -> Iterator[TextBox]:
    boxed = [c for c in chars if not (c[0].isspace() and c[3] - c[1] < 0.01)]
    text = "".join(c[0] for c in chars).strip()
    if not text or not boxed:
        return
    yield TextBox(
        text,
        min(c[1] for c in boxed),
        min(c[2] for c in boxed),
        max(c[3] for c in boxed),
        max(c[4] for c in boxed),
    )


# --- images and renders -----------------------------------------------------------------------------


def _embedded_payloads(page: pdfium.PdfPage, limits: Limits) -> tuple[list[str], float]:
    """Invoice QR payloads decoded from the images the page embeds, and the largest image's
    share of the page."""
    covered = 0.0
    page_width, page_height = page.get_size()
    images = []
    spent = budget.current()
    for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=4):
        width, height = obj.get_px_size()
        if width * height > limits.max_pixels:
            raise RefusedDocument(
                "too_large",
                f"the PDF embeds a {width}×{height} image; the limit is {limits.max_pixels:,} pixels",
            )
        # Each image drawn is decoded, here for its QR code or by pdfium to render the page: charged
        # once per drawing, before anything is decoded (twelve drawings of one image cost twelve).
        spent.pixels(width * height, f"a {width}×{height} image the page draws")
        left, bottom, right, top = obj.get_bounds()
        covered = max(covered, (right - left) * (top - bottom) / max(page_width * page_height, 1.0))
        if min(width, height) >= 21:
            images.append((abs(math.log(width / height)), obj))
    payloads: list[str] = []
    # QR codes are square: those images first, and a page of a thousand images costs no more.
    for _, obj in sorted(images, key=lambda item: item[0])[:MAX_IMAGES_DECODED]:
        try:
            picture = _pil(obj.get_bitmap(render=False))
        except (pdfium.PdfiumError, ValueError, OSError):
            continue
        payloads += qr_image.decode(qr_image.grey(picture))
    return list(dict.fromkeys(payloads)), covered


def _render(page: pdfium.PdfPage, scale: float, limits: Limits) -> Any:
    """The page as a PIL image, at ``scale`` or smaller so that it fits ``limits.max_pixels`` and
    the pixels the budget has left; the render is counted and charged before it is made."""
    spent = budget.current()
    spent.render()
    width, height = page.get_size()  # points, as pdfium renders them (it ignores UserUnit)
    area = max(width * height, 1.0)
    room = max(spent.room(), MIN_RENDER_PIXELS)  # below that a render is no use: charged, hence refused
    scale = min(
        scale,
        (min(limits.max_pixels, MAX_RENDER_PIXELS, room) / area) ** 0.5 * 0.99,
        MAX_RENDER_SIDE / max(width, height, 1.0),
    )
    if width * scale < 1 or height * scale < 1:
        raise RefusedDocument("malformed", "a page of the PDF has no size")
    columns, rows = math.ceil(width * scale), math.ceil(height * scale)  # as pypdfium2 sizes the bitmap
    spent.pixels(columns * rows, f"a {columns}×{rows} render of the page")
    return _pil(page.render(scale=scale))


def _pil(bitmap: pdfium.PdfBitmap) -> Any:
    """A PIL copy of a pdfium bitmap, which is closed here (under the lock, not by a finaliser)."""
    try:
        return bitmap.to_pil().convert("RGB")  # a copy: nothing refers to the buffer after closing
    finally:
        bitmap.warn_on_close = False
        bitmap.close()


__all__ = ["read"]
